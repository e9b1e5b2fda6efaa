import type { ObservationFields, OrderResulted } from '../api/types.gen';
import type { ServiceContext } from './context';
import { recordService } from './records';

/** The orders section's calls; `resultOrder` completes an order with its results. */
export const orderService = recordService('order');

/**
 * Attaches results (a summary, observations, or both) to an order and completes it in one
 * commit; announces both the order and, when observations came with it, the new results.
 */
export async function resultOrder(
  ctx: ServiceContext,
  patient: string,
  id: string,
  version: string[] | undefined,
  summary: string | null,
  results: ObservationFields[],
): Promise<OrderResulted> {
  const args = {
    id,
    ...(version ? { version } : {}),
    ...(summary ? { summary } : {}),
    ...(results.length ? { results } : {}),
  };
  const answer = await ctx.backend.call('order.result', args);
  ctx.events.emit('record-saved', { kind: 'order', patient, id });
  for (const r of answer.results)
    ctx.events.emit('record-saved', { kind: 'observation', patient, id: r.id });
  return answer;
}
