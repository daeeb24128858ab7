import { Composer, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import type { TenantId } from '../../../core/ids.js';
import type { ConversationQueue } from '../../../queue/types.js';
import type { CommandsConfig } from '../../config.js';
import { queuedFrom, type QueuedWork } from '../enqueue.js';
import type { ParsedCommand } from '../parse-command.js';
import type { Place } from '../place.js';

/** A message with where it was sent (set by the ingress). */
export type PlaceContext = Context & { message: Message; place: Place };

/** A message carrying a command for this bot (set by the ingress). */
export type CommandContext = PlaceContext & { command: ParsedCommand };

/** What the command composers need. */
export interface CommandDeps {
  tenant: TenantId;
  queue: ConversationQueue;
  commands: CommandsConfig;
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
  deps: Pick<CommandDeps, 'queue'>,
  work: QueuedWork,
): Promise<void> {
  const place = ctx.place;
  if (!('key' in place)) throw new Error('[telegram:ingress] enqueueFor needs a conversation place');
  await deps.queue.enqueue(
    queuedFrom(
      ctx.update.update_id,
      ctx.message,
      { key: place.key, ...(place.threadId ? { threadId: place.threadId } : {}) },
      work,
    ),
  );
}
