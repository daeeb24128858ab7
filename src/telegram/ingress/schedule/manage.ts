import {
  SCHEDULE_NAME_RE,
  ScheduleNotFoundError,
  ScheduleSyncError,
  type ScheduleName,
  type ScheduleRecord,
} from '../../../schedules/index.js';
import type { CommandContext } from '../commands/context.js';
import { chunkLines, listLine, nextRunText } from './format.js';
import { refusalOf } from './refusal.js';
import { scheduleTexts } from './texts.js';
import type { ScheduleCommandDeps } from './command.js';

/** `/schedule list [all]`: the schedules posting in this chat (or all the tenant's), split to fit. */
export async function listSchedules(
  ctx: CommandContext,
  all: boolean,
  deps: ScheduleCommandDeps,
): Promise<void> {
  const here = ctx.place.chatId;
  const records = (await deps.schedules.service.list(deps.tenant)).filter(
    (r) => all || r.target.chat === here,
  );
  if (records.length === 0) {
    return void (await ctx.reply(all ? scheduleTexts.noneAtAll : scheduleTexts.noneHere));
  }
  const now = deps.clock.now();
  const lines = [
    scheduleTexts.listHeader(records.length, all),
    ...records.map((r) => listLine(r, now, here)),
  ];
  for (const text of chunkLines(lines)) await ctx.reply(text);
}

export type ManageAction = 'pause' | 'resume' | 'remove';

/**
 * `/schedule pause|resume|remove <name>`: through the service (a config schedule may be paused and
 * resumed, not removed). An unknown name is answered with the names there are.
 */
export async function manageSchedule(
  ctx: CommandContext,
  action: ManageAction,
  args: string,
  deps: ScheduleCommandDeps,
): Promise<void> {
  const { service } = deps.schedules;
  const name = args.trim().split(/\s+/)[0] ?? '';
  if (!SCHEDULE_NAME_RE.test(name)) return void (await ctx.reply(scheduleTexts.usage));
  const by = `tg:${ctx.message.from?.id ?? 'unknown'}`;
  const record = await service.get(deps.tenant, name as ScheduleName).catch((err: unknown) => {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  });
  if (!record) {
    // Only an unknown name needs the list (to say which names exist).
    const names = (await service.list(deps.tenant)).map((r) => r.name);
    return void (await ctx.reply(scheduleTexts.unknownName(name, names.slice(0, 100))));
  }
  try {
    const text = await act(action, record, by, deps);
    await ctx.reply(text);
  } catch (err) {
    if (err instanceof ScheduleSyncError) {
      const done = err.record ? describeDone(action, err.record, deps) : scheduleTexts.removed(name);
      return void (await ctx.reply(`${done}\n${scheduleTexts.syncFailed}`));
    }
    const refusal = refusalOf(err);
    if (refusal === undefined) throw err;
    await ctx.reply(refusal);
  }
}

async function act(
  action: ManageAction,
  record: ScheduleRecord,
  by: string,
  deps: ScheduleCommandDeps,
): Promise<string> {
  const { service } = deps.schedules;
  const name = record.name as ScheduleName;
  if (action === 'remove') {
    await service.remove(deps.tenant, name);
    return scheduleTexts.removed(name);
  }
  const pause = action === 'pause';
  if (record.paused === pause)
    return pause ? scheduleTexts.alreadyPaused(name) : scheduleTexts.alreadyRunning(name);
  const updated = await service.setPaused(deps.tenant, name, pause, by);
  return describeDone(action, updated, deps);
}

function describeDone(action: ManageAction, record: ScheduleRecord, deps: ScheduleCommandDeps): string {
  if (action === 'remove') return scheduleTexts.removed(record.name);
  if (action === 'pause') return scheduleTexts.paused(record.name);
  return scheduleTexts.resumed(record.name, nextRunText(record, deps.clock.now()));
}
