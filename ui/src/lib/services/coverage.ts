import { recordService } from './records';

/** The coverage section's calls (list, get, add, update with version, retract, history). */
export const coverageService = recordService('coverage');
