import { toApiError, type ApiError } from '../api/errors';
import type { Hl7Imported, ImportReport, Waiting } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import {
  afterDecision,
  combineReports,
  emptyReport,
  importFile,
  importHl7File,
  isHl7,
  orderFiles,
} from '../services/fhir-import';

/** A file to import: a browser `File` is one; tests pass plain objects. */
export interface ImportSource {
  name: string;
  text: () => Promise<string>;
}

/** Where the run's time comes from (tests move it by hand). */
export type ImportClock = () => number;

const realClock: ImportClock = () => performance.now();

/**
 * The Import records page: a batch of files sent one at a time (Patient NDJSON first), with
 * progress while it runs, the batch's report, and the decisions for waiting patients.
 *
 * A file's text stays in memory only while a patient of it still waits for a decision (to
 * send it again with the decision), and until "Done"; nothing of it is ever logged.
 */
export class FhirImportState {
  running = $state(false);
  filesTotal = $state(0);
  filesDone = $state(0);
  resources = $state(0);
  startedAt = $state(0);
  now = $state(0);
  /** The file being sent. */
  current = $state<string | null>(null);
  /** Each file's report, in the order sent. */
  reports = $state<{ file: string; report: ImportReport }[]>([]);
  /** Lab files (HL7 v2): what became of each of their messages, in the order sent. */
  labFiles = $state<Hl7Imported[]>([]);
  /** The waiting patient a decision is being sent for (its `file` + `source`). */
  deciding = $state<string | null>(null);
  error = $state<ApiError | null>(null);

  report: ImportReport = $derived(
    this.reports.length > 0 ? combineReports(this.reports.map((r) => r.report)) : emptyReport(),
  );
  /** Resources a second, over the run so far. */
  rate: number = $derived.by(() => {
    const seconds = (this.now - this.startedAt) / 1000;
    return seconds > 0 ? this.resources / seconds : 0;
  });
  /** A batch has been sent (and not yet cleared with Done). */
  hasReport: boolean = $derived(this.reports.length > 0 || this.labFiles.length > 0);

  readonly #ctx: ServiceContext;
  readonly #clock: ImportClock;
  /** File name → text, for files whose patients still wait. Not reactive, never shown. */
  #contents: Partial<Record<string, string>> = Object.create(null);

  constructor(ctx: ServiceContext, clock: ImportClock = realClock) {
    this.#ctx = ctx;
    this.#clock = clock;
  }

  /** Sends the files one after another; the page stays usable (each send is awaited). */
  async run(files: readonly ImportSource[]): Promise<void> {
    if (this.running || files.length === 0) return;
    const ordered = orderFiles(files);
    this.running = true;
    this.error = null;
    this.filesTotal = ordered.length;
    this.filesDone = 0;
    this.resources = 0;
    this.startedAt = this.#clock();
    this.now = this.startedAt;
    try {
      for (const f of ordered) {
        this.current = f.name;
        const content = await f.text();
        if (isHl7(content)) {
          this.labFiles.push(await importHl7File(this.#ctx, f.name, content));
          this.filesDone += 1;
          this.now = this.#clock();
          continue;
        }
        const report = await importFile(this.#ctx, f.name, content);
        this.#put(f.name, report);
        if (report.waiting.length > 0) this.#contents[f.name] = content;
        this.filesDone += 1;
        this.resources += report.resources;
        this.now = this.#clock();
      }
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.current = null;
      this.running = false;
    }
  }

  /**
   * Settles one waiting patient: `patient` is the chart here that is the same person, or
   * `null` to register them as new. The file is sent again with the decision.
   */
  async decide(waiting: Waiting, patient: string | null): Promise<void> {
    const content = this.#contents[waiting.file];
    const entry = this.reports.find((r) => r.file === waiting.file);
    if (content === undefined || !entry || this.deciding) return;
    this.deciding = `${waiting.file}\n${waiting.source}`;
    this.error = null;
    try {
      const next = await importFile(this.#ctx, waiting.file, content, [
        { source: waiting.source, patient },
      ]);
      this.#put(waiting.file, afterDecision(entry.report, next));
      if (next.waiting.length === 0) delete this.#contents[waiting.file];
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.deciding = null;
    }
  }

  /** Whether this waiting patient's decision is being sent. */
  isDeciding(waiting: Waiting): boolean {
    return this.deciding === `${waiting.file}\n${waiting.source}`;
  }

  /** How many files' texts are still held (for waiting patients). */
  get held(): number {
    return Object.keys(this.#contents).length;
  }

  /** Clears the report and forgets every file's text. */
  done(): void {
    if (this.running) return;
    this.#contents = Object.create(null);
    this.reports = [];
    this.labFiles = [];
    this.filesTotal = 0;
    this.filesDone = 0;
    this.resources = 0;
    this.error = null;
  }

  #put(file: string, report: ImportReport): void {
    const i = this.reports.findIndex((r) => r.file === file);
    if (i >= 0) this.reports[i] = { file, report };
    else this.reports.push({ file, report });
  }
}
