import type { CoverageAdd, CoverageRecord } from '../../../lib/api/types.gen';
import {
  choiceLabel,
  choices,
  text,
  type FieldsOf,
  type KindDescription,
} from '../records/description';

const relation = choices('self', 'spouse', 'child', 'other');
const status = choices('active', 'inactive');

/** Insurance: front desk and billing keep it; clinicians read it. */
export const coverageKind: KindDescription<CoverageRecord, FieldsOf<CoverageAdd>> = {
  kind: 'coverage',
  title: 'Insurance',
  singular: 'coverage',
  empty: 'No insurance recorded.',
  readCommand: 'coverage.list',
  writeCommand: 'coverage.add',
  name: (r) => r.payer ?? 'coverage',
  columns: [
    { label: 'Payer', value: (r) => r.payer ?? '' },
    { label: 'Member ID', nowrap: true, value: (r) => r.member_id ?? '' },
    { label: 'Group', value: (r) => r.group_number ?? '' },
    { label: 'Priority', value: (r) => text(r.priority) },
    {
      label: 'Subscriber',
      value: (r) => [r.subscriber, choiceLabel(relation, r.relation)].filter(Boolean).join(', '),
    },
    { label: 'Status', value: (r) => choiceLabel(status, r.status) },
    { label: 'From', nowrap: true, value: (r) => r.start_date ?? '' },
    { label: 'To', nowrap: true, value: (r) => r.end_date ?? '' },
  ],
  fields: [
    { key: 'payer', label: 'Payer', type: 'text', required: true, wide: true },
    { key: 'member_id', label: 'Member ID', type: 'text', required: true },
    { key: 'group_number', label: 'Group number', type: 'text' },
    {
      key: 'priority',
      label: 'Priority',
      type: 'number',
      integer: true,
      hint: '1 primary, 2 secondary',
    },
    { key: 'status', label: 'Status', type: 'select', options: status, required: true },
    { key: 'subscriber', label: 'Subscriber', type: 'text' },
    {
      key: 'relation',
      label: 'Relation to subscriber',
      type: 'select',
      options: [{ value: '', label: 'Not given' }, ...relation],
    },
    { key: 'start_date', label: 'Start date', type: 'date' },
    { key: 'end_date', label: 'End date', type: 'date' },
  ],
};
