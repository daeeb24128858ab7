import type { AlertPayload, ProactiveWork } from '../../queue/types.js';
import { timeIn } from '../../schedules/format.js';
import type { ScheduleRecord } from '../../schedules/types.js';

/** A time in a zone, as people read it: `Wed 2 Dec, 09:00 (Europe/Berlin)`. */
export function zonedTime(epochMs: number, timezone: string): string {
  return `${timeIn(epochMs, timezone)} (${timezone})`;
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Every sentence of scheduled runs and alert investigations (plain text, no parse mode). */
export const proactiveTexts = {
  scheduledWhat: (r: ScheduleRecord): string => `the scheduled run "${r.name}"`,
  alertWhat: (a: AlertPayload): string => `the investigation of "${a.title}"`,
  scheduledOpening: (r: ScheduleRecord, dueAt: number): string =>
    `🕘 Scheduled run "${r.name}" — ${zonedTime(dueAt, r.timezone)}\n\n${clip(r.prompt, 3000)}\n\n` +
    'Reply in this thread to continue the conversation.',
  alertOpening: (a: AlertPayload): string =>
    [
      `🚨 ${a.title}`,
      ...a.essentials,
      '',
      'Investigating… Reply in this thread to ask follow-up questions.',
    ].join('\n'),
  skipped: (r: ScheduleRecord, dueAt: number, next: number): string =>
    `⏭ Skipped the run of "${r.name}" due ${zonedTime(dueAt, r.timezone)}: the next one (${zonedTime(next, r.timezone)}) ` +
    'was due before it could start (the previous run was still running, or runs were held up). Runs do not stack.',
  overBudget: (what: string, detail: string): string =>
    `💸 The budget is used up, so ${what} did not run${detail ? ` (${clip(detail, 300)})` : ''}. ` +
    'Runs go on when the budget allows; this notice is sent once a day.',
  failed: (message: ProactiveWork, reason: string): string =>
    message.kind === 'scheduled'
      ? `⚠️ The scheduled run "${message.source.schedule}" due ${message.source.dueAt} failed. ${reason}`
      : `⚠️ The investigation of "${message.alert.title}" failed. ${reason}`,
} as const;
