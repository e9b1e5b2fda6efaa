import type { EncounterAdd, EncounterRecord } from '../../../lib/api/types.gen';
import { dateTimeLabel } from '../../../lib/dates';
import { choiceLabel, choices, type FieldsOf, type KindDescription } from '../records/description';

const status = choices('finished', 'in-progress', 'planned', 'cancelled');

/** Visits: when, what kind, why, who, where. Billing reads them too. */
export const encounterKind: KindDescription<EncounterRecord, FieldsOf<EncounterAdd>> = {
  kind: 'encounter',
  title: 'Encounters',
  singular: 'encounter',
  empty: 'No encounters recorded.',
  newestBy: (r) => r.start ?? '',
  readCommand: 'encounter.list',
  writeCommand: 'encounter.add',
  name: (r) =>
    [r.type ?? 'encounter', r.start ? r.start.slice(0, 10) : ''].filter(Boolean).join(' '),
  columns: [
    { label: 'Start', nowrap: true, value: (r) => dateTimeLabel(r.start) },
    {
      label: 'Type',
      value: (r) => [r.type ?? '', r.type_code ? `(${r.type_code})` : ''].filter(Boolean).join(' '),
    },
    { label: 'Reason', value: (r) => r.reason ?? '' },
    { label: 'Provider', value: (r) => r.provider ?? '' },
    { label: 'Location', value: (r) => r.location ?? '' },
    { label: 'Status', value: (r) => choiceLabel(status, r.status) },
  ],
  fields: [
    { key: 'start', label: 'Start', type: 'datetime', required: true, startsAt: 'now' },
    { key: 'end', label: 'End', type: 'datetime' },
    { key: 'type', label: 'Type of visit', type: 'text', hint: 'e.g. office visit' },
    {
      key: 'type_code',
      label: 'Visit code',
      type: 'code',
      system: 'visit',
      fills: 'type',
      hint: 'what quality measures count the visit by, e.g. annual wellness',
    },
    { key: 'status', label: 'Status', type: 'select', options: status, required: true },
    { key: 'reason', label: 'Reason for visit', type: 'text', wide: true },
    { key: 'provider', label: 'Provider', type: 'text' },
    { key: 'location', label: 'Location', type: 'text' },
  ],
};
