import { Composer, type Context } from 'grammy';
import { isAllowed, type AccessPolicy } from '../config.js';
import { enqueueMessage, type CommandDeps } from './commands/context.js';
import { parseCommand } from './parse-command.js';
import { placeWithin } from './place.js';

/** Tells the agent the turn's text replaces one the user sent before. */
export const EDITED_PREFIX = '(edited message) ';

/**
 * `edited_message` by the tenant's `editedMessages` setting: `ignore` (default) drops it, since
 * the turn already ran with the original text; `new-turn` queues the new text as a turn of the
 * message's conversation, prefixed with `EDITED_PREFIX`. The allowlist and place rules are those
 * of messages; an edited command is not run again, and nothing is answered where there is no
 * conversation (General topic) or no text.
 */
export function editedMessages(
  deps: Pick<CommandDeps, 'tenant' | 'queue' | 'stops' | 'logger'> & { policy: AccessPolicy },
): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on('edited_message', async (ctx) => {
    if (deps.policy.editedMessages !== 'new-turn') return;
    const message = ctx.editedMessage;
    if (message.from?.is_bot || !isAllowed(deps.policy, message.from?.id)) return;
    const text = message.text;
    if (text === undefined || parseCommand(text)) return;
    const place = placeWithin(deps.tenant, message, deps.policy.nonForumGroups);
    if (!('key' in place)) return;
    await enqueueMessage(ctx, message, place, deps, { kind: 'agent', text: `${EDITED_PREFIX}${text}` });
  });
  return composer;
}
