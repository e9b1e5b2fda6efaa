import { getContext, setContext } from 'svelte';
import type { AppState } from './app.svelte';
import type { ChartState } from './chart.svelte';
import type { PatientSearch } from './patient-search.svelte';
import type { RecentCharts } from './recent-charts.svelte';
import type { SyncStatusState } from './sync-status.svelte';
import type { ThemeState } from './theme.svelte';

/** The app-wide state every screen reads, handed down through Svelte context. */
export interface AppContext {
  app: AppState;
  chart: ChartState;
  search: PatientSearch;
  recent: RecentCharts;
  theme: ThemeState;
  sync: SyncStatusState;
}

const key = Symbol('chartkeep-app');

export function provideApp(ctx: AppContext): void {
  setContext(key, ctx);
}

export function useApp(): AppContext {
  const ctx = getContext<AppContext | undefined>(key);
  if (!ctx) throw new Error('useApp() outside the app shell');
  return ctx;
}
