import type { CodeHit } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * The code sets: ICD-10-CM for problems, CVX for vaccines, LOINC for observations, and the
 * coded visit kinds (shipped SNOMED CT ones and the imported CPT/HCPCS visit codes).
 */
export type CodeSystemName = 'icd10' | 'cvx' | 'loinc' | 'visit';

/** Codes matching typed words or a code prefix, for the pickers. */
export function searchCodes(
  ctx: ServiceContext,
  system: CodeSystemName,
  query: string,
  limit = 15,
): Promise<CodeHit[]> {
  return ctx.backend.call('code.search', { system, query, limit });
}
