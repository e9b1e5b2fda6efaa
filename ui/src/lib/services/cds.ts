import type {
  ListWritten,
  SaveList,
  CheckAnswer,
  CheckItem,
  DeclineRecord,
  DueListAnswer,
  DuePanel,
  Forecast,
  RegistryAnswer,
  RulesAnswer,
} from '../api/types.gen';
import type { ServiceContext } from './context';
import { recordService } from './records';

/**
 * Clinical decision support: the safety check before a medication or an allergy is saved,
 * what a patient is due for, and the practice-wide due lists and registries. The engine
 * decides every alert and status; these calls only carry its answers to the screens.
 */

/** What an interruptive alert's answer carries with the save (`alert_overrides`). */
export type AlertOverrides = {
  reason: string;
  /** The keys of the interruptive alerts shown. */
  alerts: string[];
};

/** Checks a medication or allergy about to be saved against the patient's chart. */
export function checkItem(
  ctx: ServiceContext,
  patient: string,
  item: CheckItem,
): Promise<CheckAnswer> {
  return ctx.backend.call('cds.check', { patient, item });
}

/** The chart's Due panel: screenings, the immunization forecast and registries, today. */
export function duePanel(ctx: ServiceContext, patient: string, on?: string): Promise<DuePanel> {
  return ctx.backend.call('cds.due', on ? { patient, on } : { patient });
}

export function immunizationForecast(ctx: ServiceContext, patient: string): Promise<Forecast> {
  return ctx.backend.call('immunization.forecast', { patient });
}

/** Declines are chart records like any other (list, retract with a reason, history). */
export const declineService = recordService('decline');

/** Records that the patient declined a preventive service (announces `record-saved`). */
export function declineRule(
  ctx: ServiceContext,
  patient: string,
  rule: string,
  reason: string,
  date: string,
): Promise<DeclineRecord> {
  return declineService.add(ctx, patient, { rule, reason, date });
}

export function cdsRules(ctx: ServiceContext): Promise<RulesAnswer> {
  return ctx.backend.call('cds.rules', {});
}

/**
 * Who is due for what between `from` and `to` (inclusive), with the recall list. `limit`
 * keeps a page of rows (the counts always cover everyone); `csv` asks for both lists as CSV,
 * every row.
 */
export function dueList(
  ctx: ServiceContext,
  from: string,
  to: string,
  rules: string[] = [],
  page: { limit?: number; csv?: boolean } = {},
): Promise<DueListAnswer> {
  return ctx.backend.call('cds.due_list', {
    from,
    to,
    rules,
    csv: page.csv ?? false,
    limit: page.limit ?? null,
    offset: 0,
  });
}

/** Every monitoring registry with its patients and why each is on it. */
export function registryList(
  ctx: ServiceContext,
  on?: string,
  registries: string[] = [],
): Promise<RegistryAnswer> {
  return ctx.backend.call('registry.list', on ? { on, registries } : { registries });
}

/**
 * The desktop's way to export a list (it has no browser download): the host writes the
 * engine's CSV to a new file the user chose in the save dialog.
 */
export function saveList(ctx: ServiceContext, args: SaveList): Promise<ListWritten> {
  return ctx.backend.call('app.save_list', args);
}

/** Saves a measure's CSV (made by the screen) to a new file through the desktop host. */
export async function saveMeasureCsv(
  ctx: ServiceContext,
  file: string,
  text: string,
): Promise<string> {
  return (await ctx.backend.call('app.save_list', { list: 'measure', file, text })).file;
}
