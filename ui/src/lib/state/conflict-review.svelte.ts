import { toApiError, type ApiError } from '../api/errors';
import type { DeviceInfo } from '../api/sync-types';
import type { CommandName, Conflict, PatientView } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import { getPatient } from '../services/patients';
import { listConflicts, resolveConflict, type Resolution } from '../services/review';
import { listDevices } from '../services/sync';

/** Reads one record by id with a kind's `<kind>.get` (chosen at run time, hence untyped). */
type GetRecord = (command: CommandName, args: { id: string }) => Promise<Record<string, unknown>>;

/**
 * The review screen of one conflict: the competing values as the engine lists them now,
 * what names them (the record, the chart, the workstations), and settling it. A conflict
 * another person settled meanwhile shows as settled, not as an error.
 */
export class ConflictReviewState {
  conflict = $state<Conflict | null>(null);
  /** The record this field belongs to, as its chart section reads it ("Penicillin"). */
  record = $state<Record<string, unknown> | null>(null);
  patient = $state<PatientView | null>(null);
  devices = $state<DeviceInfo[]>([]);
  loaded = $state(false);
  /** The conflict is no longer open (settled here or on another workstation). */
  gone = $state(false);
  loadError = $state<ApiError | null>(null);
  busy = $state(false);
  error = $state<ApiError | null>(null);

  readonly row: string;
  readonly field: string;
  readonly #ctx: ServiceContext;
  readonly #patientFilter: string | null;
  readonly #getCommand: (entity: string) => CommandName | null;

  constructor(
    ctx: ServiceContext,
    where: { row: string; field: string; patient: string | null },
    getCommand: (entity: string) => CommandName | null,
  ) {
    this.#ctx = ctx;
    this.row = where.row;
    this.field = where.field;
    this.#patientFilter = where.patient;
    this.#getCommand = getCommand;
  }

  async load(): Promise<void> {
    try {
      const all = await listConflicts(this.#ctx, this.#patientFilter);
      const found = all.find((c) => c.row === this.row && c.field === this.field) ?? null;
      this.conflict = found;
      this.gone = found === null;
      this.loadError = null;
      this.loaded = true;
      if (!found) return;
      const get = this.#getCommand(found.entity);
      const call = this.#ctx.backend.call.bind(this.#ctx.backend) as unknown as GetRecord;
      const [record, patient, devices] = await Promise.all([
        get ? call(get, { id: found.row }).catch(() => null) : Promise.resolve(null),
        found.patient
          ? getPatient(this.#ctx, found.patient).catch(() => null)
          : Promise.resolve(null),
        listDevices(this.#ctx).catch(() => []),
      ]);
      this.record = record;
      this.patient = patient;
      this.devices = devices;
    } catch (e) {
      this.loadError = toApiError(e);
    }
  }

  /** Keeps one competing value (by its change id). True when recorded. */
  keep(change: string): Promise<boolean> {
    return this.#resolve({ choose: change });
  }

  /** Records a merged value, checked by the engine as an edit would be. True when recorded. */
  merge(value: unknown): Promise<boolean> {
    return this.#resolve({ value });
  }

  async #resolve(resolution: Resolution): Promise<boolean> {
    const conflict = this.conflict;
    if (!conflict || this.busy) return false;
    this.busy = true;
    this.error = null;
    try {
      await resolveConflict(this.#ctx, conflict, resolution);
      return true;
    } catch (e) {
      const err = toApiError(e);
      this.error = err;
      // Settled on another workstation meanwhile: show what is open now.
      if (err.code === 'not_found') await this.load();
      return false;
    } finally {
      this.busy = false;
    }
  }
}
