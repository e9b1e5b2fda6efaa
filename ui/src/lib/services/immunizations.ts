import { recordService } from './records';

/** The immunizations section's calls (list, get, add, update with version, retract, history). */
export const immunizationService = recordService('immunization');
