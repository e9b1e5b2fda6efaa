import { toApiError, type ApiError } from '../api/errors';
import type { DeviceInfo } from '../api/sync-types';
import type { Conflict, Duplicate, PatientView, UserInfo } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import { listUsers } from '../services/admin';
import { getPatient } from '../services/patients';
import { listConflicts, listDuplicates } from '../services/review';
import { listDevices } from '../services/sync';
import { groupByChart, type ChartGroup } from '../conflict-groups';

/**
 * The "Needs review" page's lists: open conflicts (all, or one chart's), values given
 * twice, and what names them for people (each chart's patient, each account's user name,
 * each workstation's name). Reloads when a conflict is settled anywhere in the app.
 */
export class ReviewListState {
  conflicts = $state<Conflict[]>([]);
  duplicates = $state<Duplicate[]>([]);
  patients = $state<Record<string, PatientView>>({});
  users = $state<Record<string, UserInfo>>({});
  devices = $state<DeviceInfo[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);

  groups: ChartGroup[] = $derived(groupByChart(this.conflicts));
  /** What the page lists: each conflict and each value given twice counts once. */
  count: number = $derived(this.conflicts.length + this.duplicates.length);

  readonly patient: string | null;
  readonly #ctx: ServiceContext;
  readonly #mayReadUsers: () => boolean;
  readonly #off: () => void;
  #seq = 0;

  constructor(ctx: ServiceContext, patient: string | null, mayReadUsers: () => boolean) {
    this.#ctx = ctx;
    this.patient = patient;
    this.#mayReadUsers = mayReadUsers;
    this.#off = ctx.events.on('conflict-resolved', () => void this.load());
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const [conflicts, allDuplicates] = await Promise.all([
        listConflicts(this.#ctx, this.patient),
        listDuplicates(this.#ctx),
      ]);
      if (seq !== this.#seq) return;
      // On one chart's list, only the MRNs this chart shares with another.
      const duplicates = this.patient
        ? allDuplicates.filter((d) => d.entity === 'patient' && d.rows.includes(this.patient!))
        : allDuplicates;
      const names = await this.#names(conflicts, duplicates);
      if (seq !== this.#seq) return;
      this.conflicts = conflicts;
      this.duplicates = duplicates;
      this.patients = names.patients;
      this.users = names.users;
      this.devices = names.devices;
      this.error = null;
      this.loaded = true;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = toApiError(e);
    }
  }

  /** A chart's patient, when it could be read. */
  patientOf(id: string | null | undefined): PatientView | undefined {
    return id ? this.patients[id] : undefined;
  }

  dispose(): void {
    this.#off();
  }

  /**
   * Names are a help, not the list: a chart or account that cannot be read is shown by
   * its id rather than failing the page.
   */
  async #names(conflicts: Conflict[], duplicates: Duplicate[]) {
    const ids = [
      ...conflicts.flatMap((c) => (c.patient ? [c.patient] : [])),
      ...duplicates.flatMap((d) => (d.entity === 'patient' ? d.rows : [])),
    ].filter((id, i, all) => all.indexOf(id) === i);
    const wantUsers =
      this.#mayReadUsers() &&
      (duplicates.some((d) => d.entity === 'user') || conflicts.some((c) => c.entity === 'user'));
    const [views, users, devices] = await Promise.all([
      Promise.all(ids.map((id) => getPatient(this.#ctx, id).catch(() => null))),
      wantUsers ? listUsers(this.#ctx).catch(() => []) : Promise.resolve([]),
      conflicts.length > 0 ? listDevices(this.#ctx).catch(() => []) : Promise.resolve([]),
    ]);
    const patients: Record<string, PatientView> = {};
    for (const v of views) if (v) patients[v.id] = v;
    const byId: Record<string, UserInfo> = {};
    for (const u of users) byId[u.id] = u;
    return { patients, users: byId, devices };
  }
}
