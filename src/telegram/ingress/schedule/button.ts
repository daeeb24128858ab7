import { Composer, type Context } from 'grammy';
import type { CallbackQuery, Message } from 'grammy/types';
import type { Clock } from '../../../core/clock.js';
import { errorMessage } from '../../../core/errors.js';
import type { TenantId } from '../../../core/ids.js';
import type { Logger } from '../../../core/logger.js';
import { ScheduleSyncError, type ScheduleRecord, type ScheduleSpec } from '../../../schedules/index.js';
import { isAllowed, type AccessPolicy } from '../../config.js';
import { texts } from '../texts.js';
import { isDraftData, parseDraftData } from './data.js';
import { consumeDraft, readDraft, type ScheduleDraft } from './draft.js';
import { nextRunText, summaryText } from './format.js';
import { refusalOf } from './refusal.js';
import { scheduleTexts } from './texts.js';
import type { TelegramSchedules } from './types.js';

export interface ScheduleButtonDeps {
  tenant: TenantId;
  policy: AccessPolicy;
  schedules?: TelegramSchedules | undefined;
  clock: Clock;
  logger: Logger;
}

type Press = Context & { callbackQuery: CallbackQuery & { data: string } };
type Answer = { text: string; alert?: boolean };

/**
 * The Save / Cancel buttons of a `/schedule add` confirmation (`sc:<id>:s|c`); other presses pass
 * on. Checked against the stored draft, never against this process's memory: the draft must be
 * live, the button's own message must be in the draft's chat and topic (the data names no chat),
 * and the presser must be the proposer (still allowed) or an approver. The draft is used up by one
 * conditional write before anything is saved, so a double tap, or taps reaching two containers,
 * save once. Every press is answered.
 */
export function scheduleButtons(deps: ScheduleButtonDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on('callback_query:data', async (ctx, next) => {
    if (!isDraftData(ctx.callbackQuery.data)) return next();
    let answer: Answer;
    try {
      answer = await draftPress(ctx, deps);
    } catch (err) {
      deps.logger.error('telegram: schedule button failed', { error: errorMessage(err) });
      answer = { text: scheduleTexts.failed, alert: true };
    }
    await ctx
      .answerCallbackQuery({ text: answer.text, ...(answer.alert ? { show_alert: true } : {}) })
      .catch((err: unknown) => {
        deps.logger.warn('telegram: could not answer a button press', { error: errorMessage(err) });
      });
  });
  return composer;
}

async function draftPress(ctx: Press, deps: ScheduleButtonDeps): Promise<Answer> {
  const query = ctx.callbackQuery;
  const parsed = parseDraftData(query.data);
  if (!parsed) return { text: texts.buttonUnknown };
  const schedules = deps.schedules;
  if (!schedules) return { text: scheduleTexts.unavailable, alert: true };
  const message = query.message;
  if (!message || message.date === 0) return { text: scheduleTexts.pressExpired, alert: true };
  const draft = await readDraft(schedules.claims, deps.tenant, parsed.id);
  if (!draft) return { text: scheduleTexts.pressExpired, alert: true };
  if (!sameChat(draft, message as Message)) {
    deps.logger.warn('telegram: schedule button on a message of another chat refused', {
      chatId: message.chat.id,
      userId: query.from.id,
    });
    return { text: scheduleTexts.pressForeign, alert: true };
  }
  if (!maySave(deps.policy, draft, query.from)) {
    deps.logger.info('telegram: schedule button from someone who may not save it refused', {
      userId: query.from.id,
    });
    return { text: scheduleTexts.pressNotYours, alert: true };
  }
  if (!(await consumeDraft(schedules.claims, deps.tenant, parsed.id, query.from.id))) {
    return { text: scheduleTexts.pressExpired, alert: true };
  }
  if (parsed.action === 'cancel') {
    await edit(ctx, scheduleTexts.cancelled, deps.logger);
    return { text: scheduleTexts.pressCancelled };
  }
  return save(ctx, draft.spec, schedules, deps);
}

async function save(
  ctx: Press,
  spec: ScheduleSpec,
  schedules: TelegramSchedules,
  deps: ScheduleButtonDeps,
): Promise<Answer> {
  const now = deps.clock.now();
  const saved = (record: ScheduleRecord, heading: (next: string) => string): string =>
    summaryText(record, now, heading(nextRunText(record, now)));
  try {
    const record = await schedules.service.create(deps.tenant, spec, `tg:${ctx.callbackQuery.from.id}`);
    deps.logger.info('telegram: schedule saved', {
      schedule: record.name,
      userId: ctx.callbackQuery.from.id,
    });
    await edit(ctx, saved(record, scheduleTexts.saved), deps.logger);
    return { text: scheduleTexts.pressSaving };
  } catch (err) {
    if (err instanceof ScheduleSyncError && err.record) {
      deps.logger.warn('telegram: schedule saved, trigger not updated', {
        schedule: spec.name,
        error: err.message,
      });
      await edit(ctx, saved(err.record, scheduleTexts.savedSyncFailed), deps.logger);
      return { text: scheduleTexts.pressSaving };
    }
    const refusal = refusalOf(err);
    if (refusal === undefined)
      deps.logger.error('telegram: schedule not saved', { schedule: spec.name, error: errorMessage(err) });
    await edit(ctx, scheduleTexts.notSaved(refusal ?? scheduleTexts.failed), deps.logger);
    return { text: scheduleTexts.pressNotSaved, alert: true };
  }
}

/** The button's message is where the command was sent: same chat, same topic. */
function sameChat(draft: ScheduleDraft, message: Message): boolean {
  const thread = message.is_topic_message === true ? message.message_thread_id : undefined;
  return message.chat.id === draft.chat.id && thread === draft.chat.thread;
}

function maySave(policy: AccessPolicy, draft: ScheduleDraft, from: { id: number; is_bot: boolean }): boolean {
  if (from.is_bot) return false;
  if (from.id === draft.proposer && isAllowed(policy, from.id)) return true;
  return (policy.approverIds ?? []).includes(from.id);
}

/** Replaces the confirmation (and its buttons); a failed edit is logged: the answer still says what happened. */
async function edit(ctx: Press, text: string, logger: Logger): Promise<void> {
  await ctx.editMessageText(text).catch((err: unknown) => {
    logger.warn('telegram: could not edit the schedule confirmation', { error: errorMessage(err) });
  });
}
