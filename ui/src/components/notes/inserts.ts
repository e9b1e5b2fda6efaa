import type { Summary } from '../../lib/api/types.gen';
import type { NoteField } from '../../lib/services/notes';

/**
 * "Insert into note": a piece of the chart (from `chart.summary`) as plain text, with the
 * SOAP section it goes to unless the user put the cursor elsewhere.
 */
export interface ChartInsert {
  id: 'vitals' | 'medications' | 'allergies' | 'problems';
  label: string;
  field: NoteField;
  text: (s: Summary) => string;
}

function lines(title: string, items: string[], none: string): string {
  return items.length ? `${title}:\n${items.map((i) => `- ${i}`).join('\n')}` : `${title}: ${none}`;
}

export const chartInserts: ChartInsert[] = [
  {
    id: 'vitals',
    label: 'Latest vitals',
    field: 'objective',
    text: (s) =>
      lines(
        'Vitals',
        s.vitals.map(
          (v) =>
            `${v.display ?? v.code}: ${v.value_num ?? v.value_text ?? ''}${v.unit ? ` ${v.unit}` : ''}` +
            (v.effective ? ` (${v.effective.slice(0, 10)})` : ''),
        ),
        'none recorded',
      ),
  },
  {
    id: 'medications',
    label: 'Medications',
    field: 'subjective',
    text: (s) =>
      lines(
        'Medications',
        s.medications.map((m) =>
          [m.name, m.dose, m.route, m.frequency, m.status === 'on-hold' ? '(on hold)' : '']
            .filter(Boolean)
            .join(' '),
        ),
        'none active',
      ),
  },
  {
    id: 'allergies',
    label: 'Allergies',
    field: 'subjective',
    text: (s) =>
      s.no_known_allergies
        ? 'Allergies: no known allergies'
        : lines(
            'Allergies',
            s.allergies.map(
              (a) =>
                `${a.substance ?? ''}${a.severity ? ` (${a.severity})` : ''}` +
                (Array.isArray(a.reactions) && a.reactions.length
                  ? `: ${a.reactions.join(', ')}`
                  : ''),
            ),
            'not recorded',
          ),
  },
  {
    id: 'problems',
    label: 'Problem list',
    field: 'assessment',
    text: (s) =>
      lines(
        'Problems',
        s.problems.map(
          (p) =>
            `${p.display ?? ''}${p.code ? ` [${p.code}]` : ''}${p.status ? ` (${p.status})` : ''}`,
        ),
        'none active',
      ),
  },
];
