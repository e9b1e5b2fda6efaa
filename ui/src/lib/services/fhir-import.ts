import type {
  Counts,
  Hl7Imported,
  Hl7Received,
  ImportDecision,
  ImportReport,
  ImportedResourceRecord,
} from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * Records from another system, as FHIR R4 (a Bundle, a resource, or a bulk export's NDJSON)
 * or a C-CDA document (XML), imported one file at a time. The engine maps what has a place in the chart, keeps the rest
 * verbatim ("Other imported records"), and lists a patient who may already be here as
 * waiting for a person's decision.
 */

/**
 * A lab's HL7 v2 file: it starts with a message header, a batch envelope, or an MLLP frame's
 * start byte.
 */
export function isHl7(content: string): boolean {
  // The MLLP start byte (0x0B) is trimmed as a character, not matched by a pattern.
  let i = 0;
  while (
    i < content.length &&
    (content[i] === '\uFEFF' || content[i] === '\u000B' || /\s/.test(content[i] ?? ''))
  )
    i++;
  const head = content.slice(i);
  return /^(MSH|FHS|BHS)\|/.test(head);
}

/** Sends a lab's HL7 v2 file whole; each of its messages is filed, held or refused. */
export function importHl7File(
  ctx: ServiceContext,
  file: string,
  content: string,
): Promise<Hl7Imported> {
  return ctx.backend.call('hl7.import', { file, content });
}

/** What became of one lab message, in a line. */
export function labMessageLine(m: Hl7Received): string {
  const id = m.control_id || '(no control id)';
  const n = m.observations.length;
  const results = `${n} ${n === 1 ? 'result' : 'results'}`;
  switch (m.outcome) {
    case 'applied':
      return `${id}: filed in chart ${m.mrn ?? ''}, ${results}`.replace(' ,', ',');
    case 'held':
      return `${id}: waiting in Unmatched results (${m.text})`;
    case 'duplicate':
      return `${id}: received before; nothing filed again`;
    default:
      return `${id}: refused (${m.ack_code}): ${m.text}`;
  }
}

/** XML is a C-CDA document (or nothing the engine reads, which it then says); the rest FHIR. */
export function isXml(content: string): boolean {
  return content
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('<');
}

/** Sends one file's text; `decisions` settle patients an earlier send of it left waiting. */
export function importFile(
  ctx: ServiceContext,
  file: string,
  content: string,
  decisions?: ImportDecision[],
): Promise<ImportReport> {
  return ctx.backend.call(
    isXml(content) ? 'import.ccda' : 'import.fhir',
    decisions ? { file, content, decisions } : { file, content },
  );
}

/** The records an import kept verbatim on this chart, newest first. */
export function listImported(
  ctx: ServiceContext,
  patient: string,
): Promise<ImportedResourceRecord[]> {
  return ctx.backend.call('imported.list', { patient });
}

/** A bulk export's `Patient*.ndjson`: sent first, so the other files find their patients. */
export function isPatientNdjson(name: string): boolean {
  const base = name.split(/[\\/]/).pop() ?? name;
  return /^patient.*\.ndjson$/i.test(base);
}

/** The files in the order to send them: Patient NDJSON first, the others as chosen. */
export function orderFiles<T extends { name: string }>(files: readonly T[]): T[] {
  return [
    ...files.filter((f) => isPatientNdjson(f.name)),
    ...files.filter((f) => !isPatientNdjson(f.name)),
  ];
}

export function emptyReport(): ImportReport {
  return {
    complete: true,
    files: 0,
    notes: [],
    patients: [],
    problems: [],
    resources: 0,
    types: {},
    unchanged: 0,
    waiting: [],
  };
}

function zero(): Counts {
  return { mapped: 0, verbatim: 0, duplicate: 0, refused: 0, skipped: 0 };
}

/** One report for a batch: the files' reports added up (a patient written twice counts once). */
export function combineReports(reports: readonly ImportReport[]): ImportReport {
  const out = emptyReport();
  for (const r of reports) {
    out.files += r.files;
    out.resources += r.resources;
    out.unchanged += r.unchanged;
    out.notes.push(...r.notes);
    out.problems.push(...r.problems);
    out.waiting.push(...r.waiting);
    for (const [type, c] of Object.entries(r.types)) {
      const t = (out.types[type] ??= zero());
      t.mapped += c.mapped;
      t.verbatim += c.verbatim;
      t.duplicate += c.duplicate;
      t.refused += c.refused;
      t.skipped += c.skipped;
    }
    for (const p of r.patients) {
      const seen = out.patients.find((q) => q.patient === p.patient);
      if (seen) {
        seen.records += p.records;
        seen.new ||= p.new;
      } else out.patients.push({ ...p });
    }
  }
  out.complete = reports.every((r) => r.complete);
  return out;
}

/**
 * A file's report after a decision was sent: the first send's counts stand, the resources
 * the decision let in move from refused to mapped or verbatim, the patients it wrote are
 * added, and what still waits (or went wrong) is the new answer's. The re-send's duplicates
 * and unchanged patients are the first send's own records and are not counted twice.
 */
export function afterDecision(before: ImportReport, after: ImportReport): ImportReport {
  const types: Record<string, Counts> = {};
  for (const [type, c] of Object.entries(before.types)) types[type] = { ...c };
  for (const [type, c] of Object.entries(after.types)) {
    const t = (types[type] ??= zero());
    t.mapped += c.mapped;
    t.verbatim += c.verbatim;
    // A type the first send had: what was let in is no longer refused. A new type: as told.
    t.refused = before.types[type] ? Math.max(0, t.refused - c.mapped - c.verbatim) : c.refused;
  }
  const patients = before.patients.map((p) => ({ ...p }));
  for (const p of after.patients) {
    if (p.records === 0) continue;
    const seen = patients.find((q) => q.patient === p.patient);
    if (seen) seen.records += p.records;
    else patients.push({ ...p });
  }
  return {
    ...before,
    types,
    patients,
    notes: [...before.notes, ...after.notes.filter((n) => !before.notes.includes(n))],
    problems: after.problems,
    waiting: after.waiting,
    complete: after.complete,
  };
}

/** "Testperson, Ann, born 1980-05-01, MRN 0000001": who a candidate is, for the button. */
export function candidateLabel(c: {
  name: string;
  birth_date?: string | null;
  mrn?: string | null;
}): string {
  return [c.name, c.birth_date ? `born ${c.birth_date}` : '', c.mrn ? `MRN ${c.mrn}` : '']
    .filter(Boolean)
    .join(', ');
}

/** The totals line's numbers. */
export function totals(report: ImportReport) {
  return {
    registered: report.patients.filter((p) => p.new).length,
    added: report.patients.filter((p) => !p.new).length,
    unchanged: report.unchanged,
    waiting: report.waiting.length,
    problems: report.problems.length,
  };
}

/** A chosen or dropped file's text (FileReader: every browser and the desktop webview have it). */
export function readText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsText(file);
  });
}
