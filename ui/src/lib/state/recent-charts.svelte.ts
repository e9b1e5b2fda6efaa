/** A chart opened lately, as the list shows it. */
export interface RecentChart {
  id: string;
  name: string;
  mrn: string | null;
}

/**
 * Recently opened charts, newest first. Kept in memory only (never browser storage: names
 * are patient data), and forgotten when the user switches.
 */
export class RecentCharts {
  items = $state<RecentChart[]>([]);
  readonly #max: number;

  constructor(max = 8) {
    this.#max = max;
  }

  add(chart: RecentChart): void {
    this.items = [chart, ...this.items.filter((c) => c.id !== chart.id)].slice(0, this.#max);
  }

  clear(): void {
    this.items = [];
  }
}
