import { toApiError, type ApiError } from '../api/errors';
import type { PatientView, Summary } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import { chartSummary } from '../services/chart';
import { getPatient } from '../services/patients';

/**
 * The open chart: which patient, its summary (what the banner and the summary page show),
 * and reloading when a record of this patient is saved anywhere in the app. Roles without
 * `read_chart` get the demographics only.
 */
export class ChartState {
  patientId = $state<string | null>(null);
  summary = $state<Summary | null>(null);
  patient = $state<PatientView | null>(null);
  loading = $state(false);
  error = $state<ApiError | null>(null);

  readonly #ctx: ServiceContext;
  readonly #canReadChart: () => boolean;
  readonly #unsubscribe: (() => void)[];
  #seq = 0;

  constructor(ctx: ServiceContext, canReadChart: () => boolean) {
    this.#ctx = ctx;
    this.#canReadChart = canReadChart;
    this.#unsubscribe = [
      ctx.events.on('record-saved', ({ patient }) => {
        if (patient === this.patientId) void this.reload();
      }),
      ctx.events.on('patient-saved', ({ patient }) => {
        if (patient === this.patientId) void this.reload();
      }),
      // A lock drops every patient detail from memory; resuming reloads it.
      ctx.events.on('session-locked', () => this.clear(false)),
    ];
  }

  async open(patient: string): Promise<void> {
    if (patient !== this.patientId) {
      this.summary = null;
      this.patient = null;
    }
    this.patientId = patient;
    await this.reload();
  }

  async reload(): Promise<void> {
    const patient = this.patientId;
    if (!patient) return;
    const seq = ++this.#seq;
    this.loading = true;
    try {
      if (this.#canReadChart()) {
        const summary = await chartSummary(this.#ctx, patient);
        if (seq !== this.#seq) return;
        this.summary = summary;
        this.patient = summary.patient;
      } else {
        const view = await getPatient(this.#ctx, patient);
        if (seq !== this.#seq) return;
        this.summary = null;
        this.patient = view;
      }
      this.error = null;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = toApiError(e);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  /** Forgets the chart's data; `forgetPatient` also forgets which chart was open. */
  clear(forgetPatient = true): void {
    this.#seq++;
    this.summary = null;
    this.patient = null;
    this.error = null;
    this.loading = false;
    if (forgetPatient) this.patientId = null;
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
  }
}
