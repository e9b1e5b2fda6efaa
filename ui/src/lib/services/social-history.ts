import { recordService } from './records';

/** The social-history section's calls (list, get, add, update with version, retract, history). */
export const socialHistoryService = recordService('social_history');
