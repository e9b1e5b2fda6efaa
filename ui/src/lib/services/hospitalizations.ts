import { recordService } from './records';

/** The hospitalizations section's calls (list, get, add, update with version, retract, history). */
export const hospitalizationService = recordService('hospitalization');
