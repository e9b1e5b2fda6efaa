import type { OrderAdd, OrderRecord } from '../../../lib/api/types.gen';
import { dateTimeLabel } from '../../../lib/dates';
import { choiceLabel, choices, type FieldsOf, type KindDescription } from '../records/description';

const kinds = choices('lab', 'imaging', 'referral');
const status = choices('ordered', 'in-progress', 'completed', 'cancelled');

/** Orders (lab, imaging, referral) and their results (`order.result` completes one). */
export const orderKind: KindDescription<OrderRecord, FieldsOf<OrderAdd>> = {
  kind: 'order',
  title: 'Orders and results',
  singular: 'order',
  empty: 'No orders recorded.',
  newestBy: (r) => r.ordered_at ?? '',
  readCommand: 'order.list',
  writeCommand: 'order.add',
  name: (r) => r.description ?? 'order',
  columns: [
    { label: 'Order', value: (r) => r.description ?? '' },
    { label: 'Kind', value: (r) => choiceLabel(kinds, r.kind) },
    { label: 'Ordered', nowrap: true, value: (r) => dateTimeLabel(r.ordered_at) },
    { label: 'Status', value: (r) => choiceLabel(status, r.status) },
    { label: 'Result', value: (r) => r.result_summary ?? '' },
    { label: 'Resulted', nowrap: true, value: (r) => dateTimeLabel(r.result_at) },
  ],
  fields: [
    { key: 'description', label: 'Order', type: 'text', required: true, wide: true },
    { key: 'kind', label: 'Kind', type: 'select', options: kinds, required: true },
    { key: 'status', label: 'Status', type: 'select', options: status, required: true },
    {
      key: 'code',
      label: 'Code',
      type: 'code',
      system: 'loinc',
      hint: 'A LOINC code for a lab order',
    },
    { key: 'ordered_at', label: 'Ordered at', type: 'datetime', startsAt: 'now' },
    { key: 'reason', label: 'Reason', type: 'text', wide: true },
  ],
};
