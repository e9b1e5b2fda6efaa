import type { CheckItem, CommandName } from '../../../lib/api/types.gen';

/** The field names a kind's add request takes (the form's keys). */
export type FieldsOf<T> = Exclude<keyof T, 'patient' | 'id' | 'version'> & string;

/** One choice of a select field: the engine's value and what the user reads. */
export interface Choice {
  value: string;
  label: string;
}

/** A code set `code.search` searches. */
export type CodeSystem = 'icd10' | 'cvx' | 'loinc' | 'visit';

/**
 * One field of a record kind's add/edit form. `key` is the engine's field name (as in the
 * generated `<Kind>Add`); the form converts what is typed into the engine's shape.
 */
export interface FieldSpec<Key extends string = string> {
  /** Typed by the kind's generated request, so a field the engine lacks does not compile. */
  key: Key;
  label: string;
  type:
    'text' | 'textarea' | 'date' | 'datetime' | 'number' | 'select' | 'checkbox' | 'code' | 'list';
  required?: boolean;
  options?: Choice[];
  /** For `code`: the code set, and the field the picked code's display text fills when empty. */
  system?: CodeSystem;
  fills?: Key;
  hint?: string;
  /** Takes two of the form's four columns. */
  wide?: boolean;
  /** For `number`: whole numbers only. */
  integer?: boolean;
  /** A new record starts with the current date or time here (a visit starts now). */
  startsAt?: 'now';
}

/** One column of a kind's list: its header and the cell text of a record. */
export interface ColumnSpec<R> {
  label: string;
  value: (record: R) => string;
  /** Dates and codes stay on one line; prose wraps. */
  nowrap?: boolean;
}

/**
 * What the generic record section needs to know about a kind: its names, the list's
 * columns, the form's fields, and a record's short name for labels ("Edit Type 2 diabetes").
 * Permissions come from the generated COMMAND_PERMISSIONS of the kind's commands.
 */
export interface KindDescription<R, Key extends string = string> {
  /** The API domain: `problem` for `problem.add`, ... */
  kind: string;
  /** Section heading, e.g. "Problems". */
  title: string;
  /** One record, lower case, e.g. "problem". */
  singular: string;
  empty: string;
  columns: ColumnSpec<R>[];
  fields: FieldSpec<Key>[];
  name: (record: R) => string;
  /** Commands gating the section (read) and its buttons (write). */
  readCommand: CommandName;
  writeCommand: CommandName;
  /** Only these records of the kind (vitals and labs are both observations). */
  filter?: (record: R) => boolean;
  /** False when records are added elsewhere (the vitals and labs forms). */
  addable?: boolean;
  /** Lists newest first by this date (the engine lists in the order entered). */
  newestBy?: (record: R) => string;
  /**
   * What the safety check (`cds.check`) looks at before a save: given the fields to send
   * and, on an edit, the record as read. Null when the save needs no check (an edit that
   * changes nothing the engine checks). Kinds without it are saved unchecked.
   */
  safetyItem?: (fields: Record<string, unknown>, before?: R) => CheckItem | null;
  /** Lines shown under a record's first cell (answered alerts, with who, when and why). */
  notes?: (record: R) => string[];
}

/** The label of a select value (the value itself when not among the choices). */
export function choiceLabel(options: readonly Choice[], value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  return options.find((o) => o.value === value)?.label ?? String(value);
}

/** Choices from the engine's values, labelled with the first letter up and dashes as spaces. */
export function choices(...values: string[]): Choice[] {
  return values.map((v) => ({
    value: v,
    label: (v[0]?.toUpperCase() ?? '') + v.slice(1).replace(/-/g, ' '),
  }));
}

/** Cell text helpers, so an empty field is an empty cell. */
export function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(text).join(', ');
  return String(v);
}

export function joined(sep: string, ...parts: unknown[]): string {
  return parts.map(text).filter(Boolean).join(sep);
}

/** Newest first by a date (RFC 3339 or YYYY-MM-DD); undated entries last, in the order entered. */
export function newestFirst<R>(records: readonly R[], by: (record: R) => string): R[] {
  return records
    .map((r, i) => ({ r, i, key: by(r) }))
    .sort((a, b) =>
      a.key === b.key ? a.i - b.i : !a.key ? 1 : !b.key ? -1 : a.key < b.key ? 1 : -1,
    )
    .map((x) => x.r);
}
