import { Composer, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import type { Clock } from '../../../core/clock.js';
import type { TenantId } from '../../../core/ids.js';
import type { TelegramApprovals } from '../../approvals/index.js';
import type { Logger } from '../../../core/logger.js';
import type { ConversationQueue } from '../../../queue/types.js';
import type { CommandsConfig } from '../../config.js';
import { enqueueAcknowledged } from '../busy.js';
import { queuedFrom, type QueuedWork } from '../enqueue.js';
import type { ParsedCommand } from '../parse-command.js';
import type { Place } from '../place.js';
import type { TelegramSchedules } from '../schedule/types.js';
import type { TurnStops } from '../stops.js';

/** A message with where it was sent (set by the ingress). */
export type PlaceContext = Context & { message: Message; place: Place };

/** A message carrying a command for this bot (set by the ingress). */
export type CommandContext = PlaceContext & { command: ParsedCommand };

/** What the command composers need. */
export interface CommandDeps {
  tenant: TenantId;
  queue: ConversationQueue;
  commands: CommandsConfig;
  /** Stop a running turn (`/stop`) and see whether one runs (busy acknowledgement); none → neither. */
  stops?: TurnStops | undefined;
  /** Approval requests: `/stop` cancels the conversation's pending one. */
  approvals?: TelegramApprovals | undefined;
  /** The tenant's schedules and the drafts awaiting confirmation: `/schedule`; none → "not available here". */
  schedules?: TelegramSchedules | undefined;
  clock: Clock;
  logger: Logger;
}

/** A composer that runs `handler` for `/name` and passes every other command on. */
export function onCommand(
  name: string,
  handler: (ctx: CommandContext) => Promise<unknown>,
): Composer<CommandContext> {
  return when((ctx) => ctx.command.name === name, handler);
}

/**
 * A composer that runs `handler` when `predicate` holds and passes the update on otherwise
 * (`Composer.filter` returns the inner composer, which has no predicate: this returns the outer).
 */
export function when(
  predicate: (ctx: CommandContext) => boolean,
  handler: (ctx: CommandContext) => Promise<unknown>,
): Composer<CommandContext> {
  const composer = new Composer<CommandContext>();
  composer.filter(predicate, async (ctx) => void (await handler(ctx)));
  return composer;
}

/** Enqueue work for the conversation the message was sent in (the place must have one). */
export async function enqueueFor(
  ctx: PlaceContext,
  deps: Pick<CommandDeps, 'queue' | 'stops' | 'logger'>,
  work: QueuedWork,
): Promise<void> {
  await enqueueMessage(ctx, ctx.message, ctx.place, deps, work);
}

/**
 * Enqueue work for `message` (a new or an edited one) in its place's conversation. A turn
 * (`agent`) queued behind a running one is acknowledged with a 👀 reaction (`enqueueAcknowledged`).
 */
export async function enqueueMessage(
  ctx: Context,
  message: Message,
  place: Place,
  deps: Pick<CommandDeps, 'queue' | 'stops' | 'logger'>,
  work: QueuedWork,
): Promise<void> {
  if (!('key' in place)) throw new Error('[telegram:ingress] enqueueFor needs a conversation place');
  const item = queuedFrom(
    ctx.update.update_id,
    message,
    { key: place.key, ...(place.threadId ? { threadId: place.threadId } : {}) },
    work,
    ctx.me.id,
  );
  const enqueue = (): Promise<void> => deps.queue.enqueue(item);
  if (work.kind !== 'agent') return enqueue();
  await enqueueAcknowledged(
    enqueue,
    { key: place.key, chatId: message.chat.id, messageId: message.message_id },
    ctx.api,
    { stops: deps.stops, logger: deps.logger },
  );
}
