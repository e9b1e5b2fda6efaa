import { describe, expect, it } from 'vitest';
import { allergy, summary } from '../../lib/api/fixtures';
import { activeProblemCount, allergyBanner } from './banner';

describe('banner', () => {
  it('lists the allergies, says none known, or says not recorded', () => {
    expect(allergyBanner(summary({ allergies: [allergy()] }))).toMatchObject({ kind: 'listed' });
    expect(
      allergyBanner(
        summary({
          no_known_allergies: true,
          allergies: [allergy({ no_known: true, substance: null })],
        }),
      ),
    ).toEqual({ kind: 'none-known' });
    expect(allergyBanner(summary())).toEqual({ kind: 'not-recorded' });
  });

  it('counts active problems only', () => {
    const meta = allergy();
    const s = summary({
      problems: [
        { ...meta, status: 'active', display: 'Asthma' },
        { ...meta, status: 'remission', display: 'Cancer' },
        { ...meta, status: null, display: 'Gout' },
      ],
    });
    expect(activeProblemCount(s)).toBe(2);
  });
});
