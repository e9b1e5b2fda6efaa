import { recordService } from './records';

/** The family-history section's calls (list, get, add, update with version, retract, history). */
export const familyHistoryService = recordService('family_history');
