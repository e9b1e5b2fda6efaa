import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { patientView } from '../api/fixtures';
import type { Hit } from '../api/types.gen';
import { EventBus } from '../events';
import { findPossibleDuplicates, registerPatient } from './patients';

const ann: Hit = {
  id: 'p1',
  name: 'Testperson, Ann',
  family: 'Testperson',
  given: ['Ann'],
  birth_date: '1980-05-01',
  phones: ['555-010-2000'],
};
const other: Hit = {
  id: 'p2',
  name: 'Otherperson, Bo',
  family: 'Otherperson',
  given: ['Bo'],
  birth_date: '1980-05-01',
  phones: ['555-999-0000'],
};

describe('patient services', () => {
  it('finds a duplicate by the same name and birth date, not by birth date alone', async () => {
    const backend = new FakeBackend().on('patient.search', ({ query }) =>
      query === '1980-05-01' ? [ann, other] : [],
    );
    const dups = await findPossibleDuplicates(
      { backend, events: new EventBus() },
      { family: 'testperson', given: ['ann'], birth_date: '1980-05-01', phone: '' },
    );
    expect(dups).toEqual([{ hit: ann, reasons: ['same name and birth date'] }]);
  });

  it('finds a duplicate by the same phone digits however they are written', async () => {
    const backend = new FakeBackend().on('patient.search', ({ query }) =>
      query === '5550102000' ? [ann] : [],
    );
    const dups = await findPossibleDuplicates(
      { backend, events: new EventBus() },
      { family: 'Newname', given: ['Zed'], birth_date: '2001-01-01', phone: '(555) 010 2000' },
    );
    expect(dups.map((d) => [d.hit.id, d.reasons])).toEqual([['p1', ['same phone']]]);
  });

  it('announces a registered patient on the bus', async () => {
    const events = new EventBus();
    const saved = vi.fn();
    events.on('patient-saved', saved);
    const backend = new FakeBackend().on('patient.create', () => patientView({ id: 'p7' }));
    await registerPatient({ backend, events }, { family: 'X', sex: 'female' });
    expect(saved).toHaveBeenCalledWith({ patient: 'p7' });
  });
});
