import type { Composer } from 'grammy';
import type { Clock } from '../../../core/clock.js';
import { errorMessage } from '../../../core/errors.js';
import type { TenantId } from '../../../core/ids.js';
import type { Logger } from '../../../core/logger.js';
import { onCommand, type CommandContext } from '../commands/context.js';
import { addSchedule } from './add.js';
import { listSchedules, manageSchedule } from './manage.js';
import { scheduleTexts } from './texts.js';
import type { TelegramSchedules } from './types.js';

export interface ScheduleCommandDeps {
  tenant: TenantId;
  schedules: TelegramSchedules;
  clock: Clock;
  logger: Logger;
}

/**
 * `/schedule add|list|pause|resume|remove …` (the ingress applied the allowlist before). Works in
 * the General topic too (`add` there needs `--new-topic`). Bad input gets the usage; a failing
 * store gets a short apology and a log line, never a silent drop.
 */
export function scheduleCommand(deps: {
  tenant: TenantId;
  schedules?: TelegramSchedules | undefined;
  clock: Clock;
  logger: Logger;
}): Composer<CommandContext> {
  return onCommand('schedule', async (ctx) => {
    const schedules = deps.schedules;
    if (!schedules) return ctx.reply(scheduleTexts.unavailable);
    const [sub = '', rest = ''] = splitFirst(ctx.command.args);
    const full: ScheduleCommandDeps = { ...deps, schedules };
    try {
      switch (sub.toLowerCase()) {
        case 'add':
          return await addSchedule(ctx, rest, full);
        case 'list':
          if (rest !== '' && rest.toLowerCase() !== 'all') return await ctx.reply(scheduleTexts.usage);
          return await listSchedules(ctx, rest !== '', full);
        case 'pause':
        case 'resume':
        case 'remove':
          return await manageSchedule(ctx, sub.toLowerCase() as 'pause' | 'resume' | 'remove', rest, full);
        default:
          return await ctx.reply(scheduleTexts.usage);
      }
    } catch (err) {
      deps.logger.error('telegram: /schedule failed', { sub, error: errorMessage(err) });
      return ctx.reply(scheduleTexts.failed);
    }
  });
}

function splitFirst(text: string): [string, string] {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  return match ? [match[1] ?? '', match[2] ?? ''] : ['', ''];
}
