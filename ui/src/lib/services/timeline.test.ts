import { describe, expect, it } from 'vitest';
import type { Event } from '../api/types.gen';
import { filterTimeline, kindsIn, sectionFor } from './timeline';

const events: Event[] = [
  { id: 'n1', kind: 'note', date: '2026-03-05T10:00:00Z', title: 'Follow-up' },
  { id: 'a1', kind: 'allergy', date: '2026-03-01' },
  { id: 'o1', kind: 'observation', date: '2026-02-20T08:00:00Z' },
  { id: 'e1', kind: 'encounter', date: '2026-01-10T09:00:00Z' },
];

describe('timeline filtering', () => {
  it('shows everything with no filter', () => {
    expect(filterTimeline(events, { kinds: [], from: '', to: '' })).toHaveLength(4);
  });

  it('keeps only the chosen kinds', () => {
    const got = filterTimeline(events, { kinds: ['note', 'encounter'], from: '', to: '' });
    expect(got.map((e) => e.id)).toEqual(['n1', 'e1']);
  });

  it('keeps a date range, both ends inclusive, for dates and times alike', () => {
    const got = filterTimeline(events, { kinds: [], from: '2026-02-20', to: '2026-03-01' });
    expect(got.map((e) => e.id)).toEqual(['a1', 'o1']);
  });

  it('lists the kinds present', () => {
    expect(kindsIn(events)).toEqual(['allergy', 'encounter', 'note', 'observation']);
  });

  it('opens a record in its section, or the summary when the chart has none for it', () => {
    const available = ['summary', 'allergies', 'notes'];
    expect(sectionFor('allergy', available)).toBe('allergies');
    expect(sectionFor('encounter', available)).toBe('notes');
    expect(sectionFor('observation', available)).toBe('summary');
    expect(sectionFor('observation', [...available, 'labs'])).toBe('labs');
  });
});
