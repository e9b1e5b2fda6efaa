import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import type { Entry } from '../api/types.gen';
import { EventBus } from '../events';
import { auditReport, exportAudit, updateUser } from './admin';

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

describe('admin service', () => {
  it('asks the engine with the filters given, blanks left out, for the list and the export', async () => {
    const backend = new FakeBackend()
      .on('audit.report', () => [entry({ seq: 2, action: 'login' })])
      .on('audit.export', () => ({ csv: 'seq\r\n2\r\n', rows: 1 }));
    const ctx = { backend, events: new EventBus() };
    const q = {
      from: '2026-03-01',
      to: '2026-03-02',
      user: ' drlee ',
      patient: '',
      action: 'login',
    };
    const got = await auditReport(ctx, q);
    const csv = await exportAudit(ctx, q);
    const args = {
      from: '2026-03-01',
      to: '2026-03-02',
      user: 'drlee',
      patient: null,
      action: 'login',
    };
    expect(backend.callsOf('audit.report')).toEqual([args]);
    expect(backend.callsOf('audit.export')).toEqual([args]);
    expect(got.map((e) => e.seq)).toEqual([2]);
    expect(csv.rows).toBe(1);
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
