// Which parts of the UI this branch's build has, by the branch that brings them. A test of
// a part not landed yet runs as a `todo` (reported, not failing the run); the flag is
// switched on in the merge that brings the part, so a part never silently goes untested.

export const landed = {
  /** ui-records: vitals, labs and trend plots. */
  vitals: true,
  /** ui-notes: the note editor (autosave, sign, amend). */
  notes: true,
  /** ui-notes: the administration screen. */
  administration: true,
  /** ui-notes: the printable summary. */
  printView: true,
  /** ui-cds: alerts in the medication and allergy forms, the Due panel, the Population screen. */
  decisionSupport: true,
  /** measures-ui: the Population screen's quality measures and the Due panel's open measures. */
  qualityMeasures: true,
};

/** The `todo` option for a test of a part not landed yet (undefined once it has). */
export function pendingUnless(part, branch) {
  return landed[part] ? undefined : `${part} lands with the ${branch} branch`;
}
