import { Composer, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import type { TenantId } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ConversationQueue } from '../../queue/types.js';
import { isForBot, parseCommand, type ParsedCommand } from './command.js';
import { agentPrompt, commandList, helpText, isBuiltin } from '../commands.js';
import { isAllowed, type AccessPolicy, type CommandsConfig } from '../config.js';
import type { UpdateDeduper } from '../dedupe/types.js';
import { dedupeUpdates } from './dedupe-updates.js';
import { queuedFrom, type QueuedWork } from './enqueue.js';
import { chatMembership } from './membership.js';
import { handleNewChat } from './newchat.js';
import { placeOf, type Place } from './place.js';
import { texts } from './texts.js';

export interface IngressDeps {
  tenant: TenantId;
  queue: ConversationQueue;
  deduper: UpdateDeduper;
  commands?: CommandsConfig;
  policy?: AccessPolicy;
  logger?: Logger;
}

type MessageContext = Context & { message: Message };
type ConversationPlace = Extract<Place, { key: unknown }>;

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

  const enqueue = (ctx: MessageContext, place: ConversationPlace, work: QueuedWork) =>
    deps.queue.enqueue(
      queuedFrom(
        ctx.update.update_id,
        ctx.message,
        { key: place.key, ...(place.threadId ? { threadId: place.threadId } : {}) },
        work,
      ),
    );

  const handleCommand = async (ctx: MessageContext, command: ParsedCommand, place: Place): Promise<void> => {
    const { name, args } = command;
    if (name === 'start') return void (await ctx.reply(texts.start));
    if (name === 'help') return void (await ctx.reply(helpText(commands)));
    if (name === 'newchat')
      return handleNewChat(ctx, place, args, { tenant: deps.tenant, queue: deps.queue });
    const configured = commands[name];
    if (configured?.type === 'static') return void (await ctx.reply(configured.text));
    if (!isBuiltin(name) && !configured) {
      const available = commandList(commands).map((c) => c.command);
      return void (await ctx.reply(texts.unknownCommand(name, available)));
    }
    if (!('key' in place)) return void (await ctx.reply(texts.generalHint));
    if (configured?.type === 'agent')
      return enqueue(ctx, place, { kind: 'agent', text: agentPrompt(name, configured.prompt, args) });
    if (name === 'new') return enqueue(ctx, place, { kind: 'reset' });
    if (name === 'debug' || name === 'cost') return enqueue(ctx, place, { kind: name });
  };

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
    if (command) {
      if (!isForBot(command, ctx.me.username)) return; // addressed to another bot
      await handleCommand(ctx, command, place);
      return;
    }
    if (place.kind === 'general') {
      if (text !== undefined) await ctx.reply(texts.generalHint);
      return;
    }
    if (text !== undefined) {
      await enqueue(ctx, place, { kind: 'agent', text });
      return;
    }
    if (UNREADABLE.some((field) => field in message)) await ctx.reply(texts.textOnly);
    // Anything else is a service message (topic created, members joined, pinned…): ignored.
  });

  return composer;
}
