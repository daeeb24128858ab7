import { Composer } from 'grammy';
import { agentPrompt, commandList, helpText, isBuiltin } from '../../commands.js';
import { handleNewChat } from '../newchat.js';
import { cancelPendingApproval } from '../approval-cancel.js';
import { scheduleCommand } from '../schedule/index.js';
import { texts } from '../texts.js';
import { agentCommand, modelCommand, sessionsCommand } from './conversation.js';
import { enqueueFor, onCommand, when, type CommandContext, type CommandDeps } from './context.js';

export { type CommandContext, type CommandDeps } from './context.js';
export { agentCommand, modelCommand, sessionsCommand } from './conversation.js';

/** `/start`: what the bot does. */
export const startCommand = (): Composer<CommandContext> =>
  onCommand('start', (ctx) => ctx.reply(texts.start));

/** `/help`: every command with its description. */
export const helpCommand = (deps: CommandDeps): Composer<CommandContext> =>
  onCommand('help', (ctx) => ctx.reply(helpText(deps.commands)));

/** `/newchat <text>`: a new forum topic with the text as its first turn. */
export const newchatCommand = (deps: CommandDeps): Composer<CommandContext> =>
  onCommand('newchat', (ctx) => handleNewChat(ctx, ctx.place, ctx.command.args, deps));

/** A configured `static` command: its fixed text. */
export const staticCommands = (deps: CommandDeps): Composer<CommandContext> =>
  when(
    (ctx) => deps.commands[ctx.command.name]?.type === 'static',
    async (ctx) => {
      const configured = deps.commands[ctx.command.name];
      if (configured?.type === 'static') await ctx.reply(configured.text);
    },
  );

/** A command that is neither built in nor configured: say which ones exist. */
export const unknownCommand = (deps: CommandDeps): Composer<CommandContext> =>
  when(
    (ctx) => !isBuiltin(ctx.command.name) && deps.commands[ctx.command.name] === undefined,
    async (ctx) => {
      const available = commandList(deps.commands).map((c) => c.command);
      await ctx.reply(texts.unknownCommand(ctx.command.name, available));
    },
  );

/** The commands below act on a conversation: in the General topic, hint at `/newchat` instead. */
export const needsConversation = (): Composer<CommandContext> =>
  when(
    (ctx) => !('key' in ctx.place),
    (ctx) => ctx.reply(texts.generalHint),
  );

/** A configured `agent` command: its prompt (with the arguments) as a turn. */
export const agentCommands = (deps: CommandDeps): Composer<CommandContext> =>
  when(
    (ctx) => deps.commands[ctx.command.name]?.type === 'agent',
    async (ctx) => {
      const configured = deps.commands[ctx.command.name];
      if (configured?.type !== 'agent') return;
      const text = agentPrompt(ctx.command.name, configured.prompt, ctx.command.args);
      await enqueueFor(ctx, deps, { kind: 'agent', text });
    },
  );

/** `/new`: forget the conversation's session (queued, so it is ordered after earlier turns). */
export const newCommand = (deps: CommandDeps): Composer<CommandContext> =>
  onCommand('new', (ctx) => enqueueFor(ctx, deps, { kind: 'reset' }));

/**
 * `/stop`: ask the conversation's running turn to stop, at once (never queued: the per-conversation
 * FIFO is blocked by that very turn). The runner holding the lease sees the request within a second.
 * With no turn running, a pending approval request is cancelled instead (`cancelPendingApproval`).
 */
export const stopCommand = (deps: CommandDeps): Composer<CommandContext> =>
  onCommand('stop', async (ctx) => {
    const place = ctx.place;
    if (!('key' in place)) return; // needsConversation answered before
    if (!deps.stops && !deps.approvals) return ctx.reply(texts.stopUnavailable);
    const outcome = deps.stops ? await deps.stops.requestStop(place.key) : { stopping: false as const };
    if (!outcome.stopping) {
      if (await cancelPendingApproval(ctx, place.key, deps)) return ctx.reply(texts.approvalCancelled);
      return ctx.reply(texts.nothingRunning);
    }
    // Acknowledged with a reaction, not a message: the running turn is streaming into this chat,
    // and a message would compete with it for the chat's ~1 message a second (a 429 costs its
    // retry_after). The turn's own answer then ends with the stop note.
    return ctx.react(STOP_REACTION).catch(() => ctx.reply(texts.stopping));
  });

/** The reaction on a `/stop` that asked a running turn to stop. */
export const STOP_REACTION = '👌';

/** `/debug`: the conversation's transcript files (sent by the worker). */
export const debugCommand = (deps: CommandDeps): Composer<CommandContext> =>
  onCommand('debug', (ctx) => enqueueFor(ctx, deps, { kind: 'debug' }));

/** `/cost`: the conversation's usage (sent by the worker). */
export const costCommand = (deps: CommandDeps): Composer<CommandContext> =>
  onCommand('cost', (ctx) => enqueueFor(ctx, deps, { kind: 'cost' }));

/**
 * Every command, one composer each, in order: the first that matches answers. Built-ins that need
 * no conversation first, then configured static commands and unknown names, `/schedule` (which
 * works in the General topic too), then (only where
 * there is a conversation) configured agent commands, the queued built-ins (`/new`, `/debug`,
 * `/cost`, `/sessions`, `/model`, `/agent`) and `/stop` (answered at once).
 */
export function commandsComposer(deps: CommandDeps): Composer<CommandContext> {
  return new Composer<CommandContext>(
    startCommand(),
    helpCommand(deps),
    newchatCommand(deps),
    staticCommands(deps),
    unknownCommand(deps),
    scheduleCommand(deps),
    needsConversation(),
    agentCommands(deps),
    newCommand(deps),
    stopCommand(deps),
    debugCommand(deps),
    costCommand(deps),
    sessionsCommand(deps),
    modelCommand(deps),
    agentCommand(deps),
  );
}
