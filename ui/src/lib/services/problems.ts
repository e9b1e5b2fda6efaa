import { recordService } from './records';

/** The problems section's calls (list, get, add, update with version, retract, history). */
export const problemService = recordService('problem');
