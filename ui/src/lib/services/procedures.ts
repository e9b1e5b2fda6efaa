import { recordService } from './records';

/** The procedures section's calls (list, get, add, update with version, retract, history). */
export const procedureService = recordService('procedure');
