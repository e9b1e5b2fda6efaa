import type { HeldMessage, Hl7Assigned, Hl7MessageRecord } from '../api/types.gen';
import type { ServiceContext } from './context';
import { announce } from './vitals';

/**
 * The "Unmatched results" calls: lab messages (HL7 v2) that wait for a person because no
 * chart, or more than one, matched what they say of the patient, or a lab's code has no
 * LOINC mapping yet.
 */

export function listUnmatched(ctx: ServiceContext): Promise<HeldMessage[]> {
  return ctx.backend.call('hl7.unmatched', {});
}

/**
 * Files a held message's results in the chart a person chose, as one commit, and announces
 * them so that chart's lab list, summary and trends follow.
 */
export async function assignMessage(
  ctx: ServiceContext,
  message: Pick<HeldMessage, 'id' | 'version'>,
  patient: string,
): Promise<Hl7Assigned> {
  const done = await ctx.backend.call('hl7.assign', {
    id: message.id,
    version: message.version,
    patient,
  });
  announce(ctx, patient, done.results);
  return done;
}

/** Files the message nowhere; it stays on record with the reason. */
export function refuseMessage(
  ctx: ServiceContext,
  message: Pick<HeldMessage, 'id' | 'version'>,
  reason: string,
): Promise<Hl7MessageRecord> {
  return ctx.backend.call('hl7.refuse', { id: message.id, version: message.version, reason });
}

/** HL7 v2 OBX-11 result status codes (table 0085), as a person reads them. */
const RESULT_STATUS: Record<string, string> = {
  F: 'final',
  P: 'preliminary',
  C: 'corrected',
  R: 'not yet verified',
  S: 'partial',
  I: 'pending',
  X: 'could not be obtained',
  D: 'deleted',
  W: 'posted in error',
  U: 'now final',
  N: 'not asked',
  O: 'order detail only',
};

export function resultStatusLabel(code: string): string {
  return RESULT_STATUS[code.trim().toUpperCase()] ?? code;
}

/** HL7 v2 OBX-8 abnormal flags (table 0078), the common ones spelled out. */
const FLAGS: Record<string, string> = {
  N: 'normal',
  H: 'high',
  L: 'low',
  HH: 'critically high',
  LL: 'critically low',
  A: 'abnormal',
  AA: 'critically abnormal',
  '>': 'above the absolute high',
  '<': 'below the absolute low',
};

export function flagLabel(code: string): string {
  return FLAGS[code.trim().toUpperCase()] ?? code;
}
