import { recordService } from './records';

/** The encounters section's calls (list, get, add, update with version, retract, history). */
export const encounterService = recordService('encounter');
