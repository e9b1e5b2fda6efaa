import { dateTimeLabel } from '../../lib/dates';
import { addressLabel } from '../chart/demographics/description';
import { choiceLabel } from '../chart/records/description';
import { describedField } from './fields';

/** A competing value in words, as the field's form would show it. */
export function valueText(entity: string, field: string, value: unknown, hidden = false): string {
  if (hidden) return 'A password (not shown)';
  if (value === null || value === undefined || value === '') return '(empty)';
  const spec = describedField(entity, field);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value))
    return value.length === 0
      ? '(empty)'
      : value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  if (typeof value === 'object')
    return field === 'address' ? addressLabel(value) : JSON.stringify(value);
  if (spec?.type === 'select' && spec.options) return choiceLabel(spec.options, value);
  if (spec?.type === 'datetime') return dateTimeLabel(String(value));
  return String(value);
}
