import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import type { Entry } from '../api/types.gen';
import { EventBus } from '../events';
import { auditCsv, auditReport, csvCell, updateUser } from './admin';

const entry = (over: Partial<Entry> = {}): Entry => ({
  seq: 1,
  at: '2026-03-01T09:30:00Z',
  user: 'drlee',
  workstation: 'ws1',
  action: 'read',
  category: 'chart',
  detail: 'chart.summary',
  patient: 'p1',
  ...over,
});

describe('CSV export of the access log', () => {
  it('quotes commas, quotes and line breaks, doubling quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('writes a header and one CRLF-ended row per entry', () => {
    const csv = auditCsv([entry(), entry({ seq: 2, detail: 'a, b', patient: null })]);
    expect(csv).toBe(
      'seq,at,user,workstation,action,category,patient,detail\r\n' +
        '1,2026-03-01T09:30:00Z,drlee,ws1,read,chart,p1,chart.summary\r\n' +
        '2,2026-03-01T09:30:00Z,drlee,ws1,read,chart,,"a, b"\r\n',
    );
  });
});

describe('admin service', () => {
  it('asks the engine by user and patient and filters the action here', async () => {
    const backend = new FakeBackend().on('audit.report', () => [
      entry(),
      entry({ seq: 2, action: 'login' }),
    ]);
    const got = await auditReport(
      { backend, events: new EventBus() },
      { from: '2026-03-01', to: '2026-03-02', user: ' drlee ', patient: '', action: 'login' },
    );
    expect(backend.callsOf('audit.report')).toEqual([
      { from: '2026-03-01', to: '2026-03-02', user: 'drlee', patient: null },
    ]);
    expect(got.map((e) => e.seq)).toEqual([2]);
  });

  it('edits a user on the version read', async () => {
    const backend = new FakeBackend().on('user.update', (u) => ({
      id: 'u1',
      name: 'kim',
      role: u.role ?? 'nurse',
      active: true,
      retracted: false,
      version: ['v2'],
    }));
    await updateUser(
      { backend, events: new EventBus() },
      { id: 'u1', name: 'kim', role: 'nurse', active: true, retracted: false, version: ['v1'] },
      { role: 'clinician' },
    );
    expect(backend.callsOf('user.update')).toEqual([
      { id: 'u1', version: ['v1'], role: 'clinician' },
    ]);
  });
});
