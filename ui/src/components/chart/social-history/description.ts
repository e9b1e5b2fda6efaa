import type { SocialHistoryAdd, SocialHistoryRecord } from '../../../lib/api/types.gen';
import {
  choiceLabel,
  choices,
  joined,
  text,
  type FieldsOf,
  type KindDescription,
} from '../records/description';

const tobacco = choices('never', 'former', 'current', 'unknown');
const alcohol = choices('none', 'occasional', 'moderate', 'heavy', 'unknown');

/** Tobacco and alcohol, as dated entries (the summary shows the latest). */
export const socialHistoryKind: KindDescription<SocialHistoryRecord, FieldsOf<SocialHistoryAdd>> = {
  kind: 'social_history',
  title: 'Social history',
  singular: 'social history entry',
  empty: 'No social history recorded.',
  newestBy: (r) => r.recorded_date ?? '',
  readCommand: 'social_history.list',
  writeCommand: 'social_history.add',
  name: (r) => `social history ${r.recorded_date ?? ''}`.trim(),
  columns: [
    { label: 'Recorded', nowrap: true, value: (r) => r.recorded_date ?? '' },
    {
      label: 'Tobacco',
      value: (r) => joined(': ', choiceLabel(tobacco, r.tobacco_status), r.tobacco_detail),
    },
    { label: 'Alcohol', value: (r) => choiceLabel(alcohol, r.alcohol_status) },
    {
      label: 'Drinks a week',
      value: (r) => text(r.alcohol_drinks_per_week),
    },
    { label: 'Note', value: (r) => r.note ?? '' },
  ],
  fields: [
    { key: 'recorded_date', label: 'Recorded on', type: 'date', startsAt: 'now' },
    {
      key: 'tobacco_status',
      label: 'Tobacco',
      type: 'select',
      options: [{ value: '', label: 'Not asked' }, ...tobacco],
    },
    {
      key: 'tobacco_detail',
      label: 'Tobacco detail',
      type: 'text',
      wide: true,
      hint: 'e.g. 10 pack-years, quit 2019',
    },
    {
      key: 'alcohol_status',
      label: 'Alcohol',
      type: 'select',
      options: [{ value: '', label: 'Not asked' }, ...alcohol],
    },
    { key: 'alcohol_drinks_per_week', label: 'Drinks per week', type: 'number' },
    { key: 'note', label: 'Note', type: 'text', wide: true },
  ],
};
