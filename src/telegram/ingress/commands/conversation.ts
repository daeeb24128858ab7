import type { Composer } from 'grammy';
import { MAX_SESSIONS_SHOWN } from '../../../queue/types.js';
import { texts } from '../texts.js';
import { enqueueFor, onCommand, type CommandContext, type CommandDeps } from './context.js';

/**
 * Conversation management (issue 17): `/sessions [n]`, `/model [alias]`, `/agent [name]`. All are
 * queued, so they are ordered with the conversation's turns and run in the worker under its lease
 * (a model chosen after a message applies from the next one). Only the argument's shape is checked
 * here (a bad one is answered at once and nothing is queued); whether a name is one of the tenant's
 * is the worker's check.
 */

/** A model alias or agent name as the queue takes it (`sessions/settings.ts`). */
const NAME_RE = /^[A-Za-z0-9._:/@[\]-]{1,200}$/;
/** Arguments that clear a setting back to the default. */
const RESETS = new Set(['default', 'reset']);

/** `/sessions [n]`: the conversation's recent sessions with switch buttons (sent by the worker). */
export const sessionsCommand = (deps: CommandDeps): Composer<CommandContext> =>
  onCommand('sessions', async (ctx) => {
    const arg = ctx.command.args;
    if (arg === '') return enqueueFor(ctx, deps, { kind: 'sessions' });
    const limit = /^\d{1,3}$/.test(arg) ? Number(arg) : NaN;
    if (!(limit >= 1 && limit <= MAX_SESSIONS_SHOWN))
      return ctx.reply(texts.sessionsUsage(MAX_SESSIONS_SHOWN));
    return enqueueFor(ctx, deps, { kind: 'sessions', limit });
  });

/** `/model` shows, `/model <alias>` sets, `/model default` clears the conversation's model. */
export const modelCommand = (deps: CommandDeps): Composer<CommandContext> => settingCommand('model', deps);

/** `/agent` shows, `/agent <name>` sets, `/agent default` clears the conversation's agent. */
export const agentCommand = (deps: CommandDeps): Composer<CommandContext> => settingCommand('agent', deps);

function settingCommand(field: 'model' | 'agent', deps: CommandDeps): Composer<CommandContext> {
  return onCommand(field, async (ctx) => {
    const arg = ctx.command.args;
    if (arg === '') return enqueueFor(ctx, deps, { kind: 'setting', field });
    if (RESETS.has(arg.toLowerCase())) return enqueueFor(ctx, deps, { kind: 'setting', field, value: null });
    if (!NAME_RE.test(arg)) return ctx.reply(texts.settingUsage(field));
    return enqueueFor(ctx, deps, { kind: 'setting', field, value: arg });
  });
}
