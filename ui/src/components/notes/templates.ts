import type { NoteField } from '../../lib/services/notes';

/**
 * Note templates, kept as data: each fills the SOAP sections with headings and prompts the
 * clinician overwrites. Applying one appends to what is already written, never replaces it.
 */
export interface NoteTemplate {
  id: string;
  label: string;
  text: Partial<Record<NoteField, string>>;
}

export const noteTemplates: NoteTemplate[] = [
  {
    id: 'new-problem',
    label: 'New problem',
    text: {
      title: 'New problem visit',
      subjective: 'Chief complaint:\nHistory of present illness:\nReview of systems:',
      objective: 'Examination:',
      assessment: 'Assessment and differential:',
      plan: 'Investigations:\nTreatment:\nFollow-up:',
    },
  },
  {
    id: 'follow-up',
    label: 'Follow-up',
    text: {
      title: 'Follow-up visit',
      subjective: 'Since last visit:\nAdherence and side effects:',
      objective: 'Examination:',
      assessment: 'Progress:',
      plan: 'Changes:\nNext review:',
    },
  },
  {
    id: 'well-visit',
    label: 'Well visit',
    text: {
      title: 'Well visit',
      subjective: 'Concerns:\nDiet, activity, sleep:\nScreening history:',
      objective: 'Growth and vitals:\nExamination:',
      assessment: 'Healthy; risks identified:',
      plan: 'Screening due:\nImmunizations due:\nCounselling:',
    },
  },
  {
    id: 'procedure',
    label: 'Procedure',
    text: {
      title: 'Procedure note',
      subjective: 'Indication:\nConsent obtained:',
      objective: 'Procedure:\nSite and preparation:\nAnaesthesia:\nFindings:\nComplications: none',
      assessment: 'Procedure tolerated:',
      plan: 'Aftercare:\nFollow-up:',
    },
  },
];
