import type { CodeHit } from '../api/types.gen';
import type { ServiceContext } from './context';

/** The shipped code sets: ICD-10-CM for problems, CVX for vaccines, LOINC for observations. */
export type CodeSystemName = 'icd10' | 'cvx' | 'loinc';

/** Codes matching typed words or a code prefix, for the pickers. */
export function searchCodes(
  ctx: ServiceContext,
  system: CodeSystemName,
  query: string,
  limit = 15,
): Promise<CodeHit[]> {
  return ctx.backend.call('code.search', { system, query, limit });
}
