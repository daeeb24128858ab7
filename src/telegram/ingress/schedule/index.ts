/**
 * `/schedule` in Telegram (issue 16): the command (add with a Save / Cancel confirmation, list,
 * pause, resume, remove) and its buttons, over the tenant's `ScheduleService`; drafts awaiting
 * confirmation live in the claim store.
 */
export { scheduleCommand, type ScheduleCommandDeps } from './command.js';
export { scheduleButtons, type ScheduleButtonDeps } from './button.js';
export { isDraftData, parseDraftData, draftButtonData } from './data.js';
export type { TelegramSchedules } from './types.js';
