import type { ExportFormat, ExportWritten } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * A chart leaving the practice in a standard form: the whole record as FHIR R4 (for another
 * system) or an International Patient Summary (for the patient to take along). Both are
 * logged as exports by the engine.
 */

/** Writes the export to a new file on this computer (the desktop's save dialog, or a typed path). */
export function saveExport(
  ctx: ServiceContext,
  patient: string,
  format: ExportFormat,
  file: string,
): Promise<ExportWritten> {
  return ctx.backend.call('app.save_export', { patient, format, file });
}

/** The Bundle itself, for a browser to download. */
export async function exportBundle(
  ctx: ServiceContext,
  patient: string,
  format: ExportFormat,
): Promise<unknown> {
  if (format === 'ips') return (await ctx.backend.call('export.ips', { patient })).bundle;
  return (await ctx.backend.call('export.fhir_patient', { patient })).bundle;
}

/** A file name for the export: the MRN (never the name) and the date. */
export function exportFileName(
  mrn: string | null | undefined,
  format: ExportFormat,
  today: Date,
): string {
  const day = today.toISOString().slice(0, 10);
  const who = (mrn ?? 'patient').replace(/[^A-Za-z0-9-]/g, '');
  return `${who}-${format === 'ips' ? 'patient-summary' : 'fhir-record'}-${day}.json`;
}
