import { Composer, type Context } from 'grammy';
import { systemClock, type Clock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import type { TelegramApprovals } from '../approvals/index.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ConversationQueue } from '../../queue/types.js';
import { commandsComposer } from './commands/index.js';
import { enqueueFor } from './commands/context.js';
import { isForBot, parseCommand } from './parse-command.js';
import { isAllowed, type AccessPolicy, type CommandsConfig } from '../config.js';
import type { UpdateDeduper } from '../dedupe/types.js';
import { dedupeUpdates } from './dedupe-updates.js';
import { chatMembership } from './membership.js';
import { editedMessages } from './edited.js';
import { placeWithin } from './place.js';
import { scheduleButtons } from './schedule/button.js';
import { sessionButtons } from './session-button.js';
import type { TelegramSchedules } from './schedule/types.js';
import { buttonPresses } from './stop-button.js';
import type { TurnStops } from './stops.js';
import { texts } from './texts.js';
import { contentOf, type IngressFilePolicy } from './attachments.js';

export interface IngressDeps {
  tenant: TenantId;
  queue: ConversationQueue;
  deduper: UpdateDeduper;
  commands?: CommandsConfig;
  policy?: AccessPolicy;
  /**
   * The conversations' running turns (the sessions' leases): `/stop` and the Stop button ask the
   * turn to stop at once, and a message queued behind a running turn is acknowledged with 👀.
   * Without it `/stop` says it is unavailable and nothing is acknowledged.
   */
  stops?: TurnStops;
  /**
   * Approval requests (issue 14): an approval button is checked against its stored request and
   * queued as a decision; `/stop` cancels a pending request. Without it approval buttons say they
   * are unavailable.
   */
  approvals?: TelegramApprovals;
  /**
   * The tenant's file policy: a photo or document declared larger than `maxBytes` (or the Bot
   * API's 20 MB download limit) is refused here, before anything is queued. Default: 20 MB.
   */
  files?: IngressFilePolicy;
  /**
   * The tenant's schedules (issue 16) and the claim store holding `/schedule add` drafts until Save
   * or Cancel. Without it `/schedule` says schedules are not available here.
   */
  schedules?: TelegramSchedules;
  clock?: Clock;
  logger?: Logger;
}

/**
 * The ingress rules as one middleware tree: dedupe → membership (join/leave) → button presses and
 * edited messages → allowlist → place (private / topic / General / group) → commands → enqueue.
 * It only enqueues, asks a running turn to stop or answers with fixed texts: the agent never runs
 * inside an update.
 *
 * Photos and documents are queued as a turn whose prompt is the caption, with the files named
 * (never downloaded here: the worker fetches them). A caption is never a command: `/new` under a
 * photo is the photo's text, so a file is never dropped for a command that ignores it.
 */
export function createIngress(deps: IngressDeps): Composer<Context> {
  const logger = deps.logger ?? silentLogger;
  const policy = deps.policy ?? {};
  const commands = deps.commands ?? {};
  const composer = new Composer<Context>();

  composer.use(dedupeUpdates({ tenant: deps.tenant, deduper: deps.deduper, logger }));
  composer.use(chatMembership({ policy, logger }));
  const clock = deps.clock ?? systemClock;
  const commandDeps = {
    tenant: deps.tenant,
    queue: deps.queue,
    commands,
    stops: deps.stops,
    approvals: deps.approvals,
    schedules: deps.schedules,
    clock,
    logger,
  };
  composer.use(scheduleButtons({ ...commandDeps, policy }));
  composer.use(sessionButtons({ ...commandDeps, policy }));
  composer.use(buttonPresses({ ...commandDeps, policy }));
  composer.use(editedMessages({ ...commandDeps, policy }));

  const commandComposer = commandsComposer(commandDeps).middleware();

  composer.on('message', async (ctx) => {
    const message = ctx.message;
    if (message.from?.is_bot) return;
    if (!isAllowed(policy, message.from?.id)) {
      logger.info('telegram: message from a user not on the allowlist ignored', { userId: message.from?.id });
      return;
    }
    const place = placeWithin(deps.tenant, message, policy.nonForumGroups);
    if (place.kind === 'other') return;
    const text = message.text;
    const command = text !== undefined ? parseCommand(text) : undefined;
    const routed = Object.assign(ctx, { place });
    if (command) {
      if (!isForBot(command, ctx.me.username)) return; // addressed to another bot
      await commandComposer(Object.assign(routed, { command }), () => Promise.resolve());
      return;
    }
    const content =
      text === undefined
        ? contentOf(message, deps.files ?? { maxBytes: Number.POSITIVE_INFINITY })
        : undefined;
    if (place.kind === 'general') {
      if (text !== undefined || content) await ctx.reply(texts.generalHint);
      return;
    }
    if (text !== undefined) {
      await enqueueFor(routed, commandDeps, { kind: 'agent', text });
      return;
    }
    // Anything else is a service message (topic created, members joined, pinned…): ignored.
    if (!content) return;
    if (content.type !== 'files') return void (await ctx.reply(content.reply));
    await enqueueFor(routed, commandDeps, {
      kind: 'agent',
      text: content.caption,
      attachments: content.attachments,
      ...(content.mediaGroupId !== undefined ? { mediaGroupId: content.mediaGroupId } : {}),
    });
  });

  return composer;
}
