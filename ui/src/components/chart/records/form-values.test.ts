import { describe, expect, it } from 'vitest';
import type { FieldSpec } from './description';
import {
  addRequest,
  changedFields,
  engineValue,
  FormProblem,
  fromLocalInput,
  initialValues,
  toLocalInput,
} from './form-values';

const fields: FieldSpec[] = [
  { key: 'name', label: 'Name', type: 'text', required: true },
  { key: 'dose_number', label: 'Dose number', type: 'number', integer: true },
  {
    key: 'status',
    label: 'Status',
    type: 'select',
    required: true,
    options: [
      { value: 'active', label: 'Active' },
      { value: 'stopped', label: 'Stopped' },
    ],
  },
  { key: 'surgical', label: 'Surgical', type: 'checkbox' },
  { key: 'given', label: 'Given names', type: 'list' },
  { key: 'start', label: 'Start', type: 'datetime' },
  { key: 'note', label: 'Note', type: 'text' },
];

describe('form values', () => {
  it('starts empty, with a required select on its first choice', () => {
    expect(initialValues(fields)).toEqual({
      name: '',
      dose_number: '',
      status: 'active',
      surgical: false,
      given: '',
      start: '',
      note: '',
    });
  });

  it('builds an add request in the engine shape, leaving empty fields out', () => {
    const values = {
      ...initialValues(fields),
      name: ' Metformin ',
      dose_number: '2',
      given: 'Ann, Maria',
      surgical: true,
    };
    expect(addRequest(fields, values)).toEqual({
      name: 'Metformin',
      dose_number: 2,
      status: 'active',
      surgical: true,
      given: ['Ann', 'Maria'],
    });
  });

  it('refuses a missing required field, a non-number and a fraction where a whole number goes', () => {
    expect(() => addRequest(fields, initialValues(fields))).toThrow(FormProblem);
    expect(() => engineValue(fields[1]!, 'two')).toThrow('not a number');
    expect(() => engineValue(fields[1]!, '1.5')).toThrow('whole number');
  });

  it('sends only what changed on edit, and null to clear a field', () => {
    const record = {
      name: 'Metformin',
      status: 'active',
      note: 'with food',
      dose_number: 1,
      start: '2026-03-01T09:30:00Z',
    };
    const values = { ...initialValues(fields, record), status: 'stopped', note: '' };
    expect(changedFields(fields, record, values)).toEqual({ status: 'stopped', note: null });
    expect(changedFields(fields, record, initialValues(fields, record))).toEqual({});
  });

  it('shows a stored time in local time and sends it back as the same instant', () => {
    const at = '2026-03-01T09:30:00.000Z';
    expect(fromLocalInput(toLocalInput(at))).toBe(at);
  });
});
