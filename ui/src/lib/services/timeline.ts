import type { Event } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * The chart's timeline. The engine answers newest first; filtering by kind and date is
 * done here, on the loaded list, so changing a filter is instant and never loses the list.
 */
export function chartTimeline(ctx: ServiceContext, patient: string): Promise<Event[]> {
  return ctx.backend.call('chart.timeline', { patient, limit: 5000 });
}

export interface TimelineFilter {
  /** Kinds to show; empty shows every kind. */
  kinds: string[];
  /** YYYY-MM-DD, inclusive; empty for no bound. */
  from: string;
  to: string;
}

/** The date part of an event (events carry a date or an RFC 3339 time). */
function day(e: Event): string {
  return e.date.slice(0, 10);
}

export function filterTimeline(events: Event[], filter: TimelineFilter): Event[] {
  const kinds = new Set(filter.kinds);
  return events.filter(
    (e) =>
      (kinds.size === 0 || kinds.has(e.kind)) &&
      (!filter.from || day(e) >= filter.from) &&
      (!filter.to || day(e) <= filter.to),
  );
}

/** The kinds present, in a stable order, for the filter's checkboxes. */
export function kindsIn(events: Event[]): string[] {
  return [...new Set(events.map((e) => e.kind))].sort();
}

/**
 * Where each kind of record lives in the chart: the section id. A kind whose section is not
 * in the chart (yet) opens the summary.
 */
const sectionOfKind: Record<string, string> = {
  allergy: 'allergies',
  note: 'notes',
  encounter: 'notes',
  document: 'documents',
  problem: 'problems',
  medication: 'medications',
  immunization: 'immunizations',
  observation: 'vitals',
  order: 'orders',
  procedure: 'procedures',
  hospitalization: 'hospitalizations',
};

export function sectionFor(kind: string, available: string[]): string {
  const id = sectionOfKind[kind];
  if (id && available.includes(id)) return id;
  if (kind === 'observation' && available.includes('labs')) return 'labs';
  return available.includes('summary') ? 'summary' : (available[0] ?? 'summary');
}

const kindLabels: Record<string, string> = {
  allergy: 'Allergy',
  note: 'Note',
  encounter: 'Visit',
  document: 'Document',
  problem: 'Problem',
  medication: 'Medication',
  immunization: 'Immunization',
  observation: 'Result',
  order: 'Order',
  procedure: 'Procedure',
  hospitalization: 'Hospitalization',
};

export function kindLabel(kind: string): string {
  return kindLabels[kind] ?? kind;
}
