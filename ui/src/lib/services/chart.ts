import type { Summary } from '../api/types.gen';
import type { ServiceContext } from './context';

/** What a clinician sees on opening a chart (needs `read_chart`). */
export function chartSummary(ctx: ServiceContext, patient: string): Promise<Summary> {
  return ctx.backend.call('chart.summary', { patient });
}
