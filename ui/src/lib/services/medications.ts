import { recordService } from './records';

/** The medications section's calls (list, get, add, update with version, retract, history). */
export const medicationService = recordService('medication');
