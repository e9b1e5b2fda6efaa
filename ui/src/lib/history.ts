import type { HistoryEntry } from './api/types.gen';

/** One field as one change left it: the value before and after. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface HistoryRow {
  entry: HistoryEntry;
  changes: FieldChange[];
}

/**
 * Turns a record's history (oldest first, each change naming only the fields it wrote)
 * into per-field "old → new" rows, as the history panels show them.
 */
/** Fields every change of a chart record repeats; the chart they belong to is already known. */
const unshown = new Set(['patient']);

export function fieldChanges(entries: readonly HistoryEntry[]): HistoryRow[] {
  const current = new Map<string, unknown>();
  const ordered = [...entries].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return ordered.map((entry) => {
    const changes: FieldChange[] = [];
    for (const [field, after] of Object.entries(entry.fields ?? {})) {
      const before = current.has(field) ? current.get(field) : null;
      current.set(field, after);
      if (unshown.has(field)) continue;
      if (entry.op !== 'create' && JSON.stringify(before) === JSON.stringify(after)) continue;
      changes.push({ field, before, after });
    }
    return { entry, changes };
  });
}

/** A value as one line of text. */
export function valueLabel(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map(valueLabel).join(', ');
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    // Structured fields may come back as their JSON text.
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'object' && parsed !== null) return valueLabel(parsed);
    } catch {
      // not JSON after all: show the text
    }
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
