import { InlineKeyboard } from 'grammy';
import { parseScheduleSpec, type ScheduleSpec } from '../../../schedules/index.js';
import type { CommandContext } from '../commands/context.js';
import { draftButtonData } from './data.js';
import { saveDraft } from './draft.js';
import { summaryText } from './format.js';
import { parseAddWords } from './parse.js';
import { refusalOf } from './refusal.js';
import { scheduleTexts } from './texts.js';
import type { ScheduleCommandDeps } from './command.js';

/**
 * `/schedule add …`: checks the schedule (the one schema, then the service's rules: a free name, a
 * known agent), stores it as a draft and shows it with Save / Cancel. Nothing is saved until Save.
 * The runs post where the command was sent (chat and topic), or with `--new-topic` in a topic of
 * the schedule's own (a forum only; in the General topic it is the only choice).
 */
export async function addSchedule(
  ctx: CommandContext,
  args: string,
  deps: ScheduleCommandDeps,
): Promise<void> {
  const { service, claims } = deps.schedules;
  const words = parseAddWords(args);
  if ('problem' in words) return void (await ctx.reply(scheduleTexts.addProblem(words.problem)));
  const place = ctx.place;
  const forum = place.kind === 'topic' || place.kind === 'general';
  if (words.newTopic && !forum) return void (await ctx.reply(scheduleTexts.newTopicNeedsForum));
  if (place.kind === 'general' && !words.newTopic)
    return void (await ctx.reply(scheduleTexts.generalNeedsNewTopic));
  const threadId = place.kind === 'topic' ? place.threadId : undefined;
  const thread = words.newTopic ? 'new' : threadId;

  let spec: ScheduleSpec;
  try {
    spec = parseScheduleSpec({
      name: words.name,
      ...words.when,
      ...(words.timezone !== undefined ? { timezone: words.timezone } : {}),
      prompt: words.prompt,
      target: { chat: place.chatId, ...(thread !== undefined ? { thread } : {}) },
    });
    await service.assertCreatable(deps.tenant, spec);
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal === undefined) throw err;
    return void (await ctx.reply(scheduleTexts.addProblem(refusal)));
  }

  const proposer = ctx.message.from?.id;
  if (proposer === undefined) return;
  const saved = await saveDraft(claims, deps.tenant, {
    spec,
    chat: { id: place.chatId, ...(threadId !== undefined ? { thread: threadId } : {}) },
    proposer,
  });
  if (saved === 'too_long') return void (await ctx.reply(scheduleTexts.tooLong));
  const keyboard = new InlineKeyboard()
    .text('Save', draftButtonData(saved.id, 'save'))
    .text('Cancel', draftButtonData(saved.id, 'cancel'));
  await ctx.reply(summaryText(spec, deps.clock.now(), scheduleTexts.confirm), { reply_markup: keyboard });
  deps.logger.info('telegram: schedule draft shown', { schedule: spec.name, userId: proposer });
}
