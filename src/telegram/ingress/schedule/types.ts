import type { ClaimStore, ScheduleService } from '../../../schedules/index.js';

/**
 * What `/schedule` and its Save / Cancel buttons need, filled by the composition root: the
 * tenant's schedule service and the claim store that holds drafts awaiting confirmation (so the
 * tap may reach another container than the command did).
 */
export interface TelegramSchedules {
  service: ScheduleService;
  claims: ClaimStore;
}
