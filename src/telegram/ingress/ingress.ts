import { Composer, type Context } from 'grammy';
import type { TenantId } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ConversationQueue } from '../../queue/types.js';
import { commandsComposer } from './commands/index.js';
import { enqueueFor } from './commands/context.js';
import { isForBot, parseCommand } from './parse-command.js';
import { isAllowed, type AccessPolicy, type CommandsConfig } from '../config.js';
import type { UpdateDeduper } from '../dedupe/types.js';
import { dedupeUpdates } from './dedupe-updates.js';
import { chatMembership } from './membership.js';
import { placeOf } from './place.js';
import { texts } from './texts.js';

export interface IngressDeps {
  tenant: TenantId;
  queue: ConversationQueue;
  deduper: UpdateDeduper;
  commands?: CommandsConfig;
  policy?: AccessPolicy;
  logger?: Logger;
}

/** Content a user sent on purpose that we cannot read (as opposed to service messages). */
const UNREADABLE = [
  'photo',
  'video',
  'document',
  'sticker',
  'voice',
  'audio',
  'animation',
  'video_note',
  'location',
  'contact',
  'poll',
  'venue',
  'dice',
  'story',
] as const;

/**
 * The ingress rules as one middleware tree: dedupe → membership (join/leave) → allowlist → place
 * (private / topic / General / group) → commands → enqueue. It only enqueues or answers with
 * fixed texts: the agent never runs inside an update.
 */
export function createIngress(deps: IngressDeps): Composer<Context> {
  const logger = deps.logger ?? silentLogger;
  const policy = deps.policy ?? {};
  const commands = deps.commands ?? {};
  const composer = new Composer<Context>();

  composer.use(dedupeUpdates({ tenant: deps.tenant, deduper: deps.deduper, logger }));
  composer.use(chatMembership({ policy, logger }));
  composer.on('edited_message', () => {
    // Deliberately ignored: the turn already ran with the original text.
  });

  const commandDeps = { tenant: deps.tenant, queue: deps.queue, commands };
  const commandComposer = commandsComposer(commandDeps).middleware();

  composer.on('message', async (ctx) => {
    const message = ctx.message;
    if (message.from?.is_bot) return;
    if (!isAllowed(policy, message.from?.id)) {
      logger.info('telegram: message from a user not on the allowlist ignored', { userId: message.from?.id });
      return;
    }
    const place = placeOf(deps.tenant, message);
    if (place.kind === 'other') return;
    if (place.kind === 'group' && policy.nonForumGroups !== 'respond') return;
    const text = message.text;
    const command = text !== undefined ? parseCommand(text) : undefined;
    const routed = Object.assign(ctx, { place });
    if (command) {
      if (!isForBot(command, ctx.me.username)) return; // addressed to another bot
      await commandComposer(Object.assign(routed, { command }), () => Promise.resolve());
      return;
    }
    if (place.kind === 'general') {
      if (text !== undefined) await ctx.reply(texts.generalHint);
      return;
    }
    if (text !== undefined) {
      await enqueueFor(routed, deps, { kind: 'agent', text });
      return;
    }
    if (UNREADABLE.some((field) => field in message)) await ctx.reply(texts.textOnly);
    // Anything else is a service message (topic created, members joined, pinned…): ignored.
  });

  return composer;
}
