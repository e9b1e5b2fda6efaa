import type { CommandName } from '../../lib/api/types.gen';
import { allergyFields } from '../chart/allergies/description';
import { coverageKind } from '../chart/coverage/description';
import { demographicsFields } from '../chart/demographics/description';
import { encounterKind } from '../chart/encounters/description';
import { familyHistoryKind } from '../chart/family-history/description';
import { hospitalizationKind } from '../chart/hospitalizations/description';
import { immunizationKind } from '../chart/immunizations/description';
import { medicationKind } from '../chart/medications/description';
import { orderKind } from '../chart/orders/description';
import { problemKind } from '../chart/problems/description';
import { procedureKind } from '../chart/procedures/description';
import { choices, type FieldSpec } from '../chart/records/description';
import { socialHistoryKind } from '../chart/social-history/description';
import { vitalsKind } from '../chart/vitals/description';
import { roles } from '../../lib/services/admin';

/**
 * A conflict's field in words, and the editor a merged value gets. The labels come from
 * the chart's own per-kind descriptions (the forms people entered the values in), so the
 * review says "Severity" where the allergy form said "Severity". A field no form shows
 * gets a label made from its name and an editor guessed from the values' shape.
 */

interface KindInfo {
  /** "Allergy", "Demographics": what the record is, capitalised. */
  label: string;
  fields: readonly FieldSpec[];
  /** The command reading one record, for its name on the review screen. */
  get?: CommandName;
  name?: (record: Record<string, unknown>) => string;
}

type Named = { name: (r: never) => string; fields: readonly FieldSpec[] };

function fromKind(label: string, kind: Named, get: CommandName): KindInfo {
  return {
    label,
    fields: kind.fields,
    get,
    name: kind.name as unknown as (record: Record<string, unknown>) => string,
  };
}

const noteFields: FieldSpec[] = [
  { key: 'title', label: 'Title', type: 'text' },
  { key: 'subjective', label: 'Subjective', type: 'textarea' },
  { key: 'objective', label: 'Objective', type: 'textarea' },
  { key: 'assessment', label: 'Assessment', type: 'textarea' },
  { key: 'plan', label: 'Plan', type: 'textarea' },
  { key: 'text', label: 'Note text', type: 'textarea' },
  { key: 'kind', label: 'Kind of note', type: 'select', options: choices('soap', 'free') },
];

const userFields: FieldSpec[] = [
  { key: 'name', label: 'User name', type: 'text', required: true },
  { key: 'display_name', label: 'Display name', type: 'text' },
  { key: 'role', label: 'Role', type: 'select', options: choices(...roles), required: true },
  { key: 'active', label: 'Account active', type: 'checkbox' },
  { key: 'password_hash', label: 'Password', type: 'text' },
];

const documentFields: FieldSpec[] = [
  { key: 'title', label: 'Title', type: 'text' },
  { key: 'kind', label: 'Kind of document', type: 'text' },
  { key: 'date', label: 'Date', type: 'date' },
];

const kinds: Record<string, KindInfo> = {
  patient: {
    label: 'Demographics',
    fields: [
      ...demographicsFields,
      { key: 'address', label: 'Address', type: 'text' },
      { key: 'emergency_contact', label: 'Emergency contact', type: 'text' },
      { key: 'identifiers', label: 'Other identifiers', type: 'text' },
    ],
  },
  allergy: {
    label: 'Allergy',
    fields: allergyFields,
    get: 'allergy.get',
    name: (r) => String(r.substance ?? 'allergy'),
  },
  problem: fromKind('Problem', problemKind, 'problem.get'),
  medication: fromKind('Medication', medicationKind, 'medication.get'),
  immunization: fromKind('Immunization', immunizationKind, 'immunization.get'),
  encounter: fromKind('Encounter', encounterKind, 'encounter.get'),
  observation: fromKind('Measurement or lab result', vitalsKind, 'observation.get'),
  order: fromKind('Order', orderKind, 'order.get'),
  procedure: fromKind('Procedure', procedureKind, 'procedure.get'),
  hospitalization: fromKind('Hospitalization', hospitalizationKind, 'hospitalization.get'),
  family_history: fromKind('Family history', familyHistoryKind, 'family_history.get'),
  social_history: fromKind('Social history', socialHistoryKind, 'social_history.get'),
  coverage: fromKind('Insurance', coverageKind, 'coverage.get'),
  note: {
    label: 'Visit note',
    fields: noteFields,
    get: 'note.get',
    name: (r) => String(r.title ?? 'note'),
  },
  document: {
    label: 'Document',
    fields: documentFields,
    get: 'document.get',
    name: (r) => String(r.title ?? 'document'),
  },
  user: { label: 'Staff account', fields: userFields },
  setting: { label: 'Practice setting', fields: [{ key: 'value', label: 'Value', type: 'text' }] },
};

/** "family_history" → "Family history": the words of a name nobody labelled. */
export function humanize(name: string): string {
  const words = name.replace(/_/g, ' ').trim();
  return (words[0]?.toUpperCase() ?? '') + words.slice(1);
}

/** What kind of record it is, in words. */
export function entityLabel(entity: string): string {
  return kinds[entity]?.label ?? humanize(entity);
}

/** The command that reads one record of the kind (for its name), when there is one. */
export function recordGetCommand(entity: string): CommandName | null {
  return kinds[entity]?.get ?? null;
}

/** A record's short name ("Penicillin", "Type 2 diabetes"), as its section names it. */
export function recordName(entity: string, record: Record<string, unknown>): string {
  const name = kinds[entity]?.name;
  try {
    return name ? name(record) : '';
  } catch {
    return '';
  }
}

/** How a merged value is typed when no form describes the field. */
export type FallbackType = 'text' | 'number' | 'checkbox' | 'list' | 'json';

/** The field as its form describes it, or `null` when no form shows it. */
export function describedField(entity: string, field: string): FieldSpec | null {
  return kinds[entity]?.fields.find((f) => f.key === field) ?? null;
}

/** The field's label, from its form or its name. */
export function fieldLabel(entity: string, field: string): string {
  return describedField(entity, field)?.label ?? humanize(field);
}

/**
 * The editor for a merged value: the field's own form control where a form describes it
 * (structured fields that forms show as text, like an address, are edited as JSON), else
 * one guessed from the competing values' shape.
 */
export function mergeEditor(
  entity: string,
  field: string,
  values: readonly unknown[],
): { spec: FieldSpec; json: boolean } {
  const described = describedField(entity, field);
  const structured = values.some((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
  if (described && !structured) {
    // A code picker needs its code set's search; a typed code is checked by the engine.
    const spec: FieldSpec =
      described.type === 'code' ? { ...described, type: 'text' } : { ...described };
    return { spec, json: false };
  }
  const label = described?.label ?? humanize(field);
  const present = values.filter((v) => v !== null && v !== undefined);
  let type: FieldSpec['type'] = 'text';
  let json = false;
  if (structured) json = true;
  else if (present.length > 0 && present.every((v) => typeof v === 'number')) type = 'number';
  else if (present.length > 0 && present.every((v) => typeof v === 'boolean')) type = 'checkbox';
  else if (present.some((v) => Array.isArray(v))) {
    if (present.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'string')))
      type = 'list';
    else json = true;
  }
  return { spec: { key: field, label, type: json ? 'textarea' : type }, json };
}
