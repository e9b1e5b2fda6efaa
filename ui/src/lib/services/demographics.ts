import type { HistoryEntry, PatientUpdate, PatientView } from '../api/types.gen';
import type { ServiceContext } from './context';

/** A patient's demographics fields as the edit form may change them. */
export type DemographicsChange = Omit<PatientUpdate, 'id' | 'version'>;

/** The demographics section's calls: read with the version, change, history. */
export function getDemographics(ctx: ServiceContext, patient: string): Promise<PatientView> {
  return ctx.backend.call('patient.get', { id: patient });
}

/** Saves changed demographics on the version read; the banner and lists refresh from the bus. */
export async function updateDemographics(
  ctx: ServiceContext,
  patient: string,
  version: string[],
  fields: DemographicsChange,
): Promise<PatientView> {
  const view = await ctx.backend.call('patient.update', { ...fields, id: patient, version });
  ctx.events.emit('patient-saved', { patient });
  ctx.events.emit('record-saved', { kind: 'patient', patient, id: patient });
  return view;
}

export function demographicsHistory(ctx: ServiceContext, patient: string): Promise<HistoryEntry[]> {
  return ctx.backend.call('patient.history', { id: patient });
}
