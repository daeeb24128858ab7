import type { Context } from 'hono';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';

/**
 * The conversation a `/v1/conversations/:tenant/:chat/:thread…` route addresses: ids validated by
 * `conversationKey` (hostile ids → 400 `invalid_id`; a thread-less conversation is thread `main`),
 * and the tenant must be in the caller's scope (403 `forbidden`).
 */
export function conversationKeyOf(c: Context<ApiEnv>): ConversationKey {
  const key = conversationKey({
    tenant: c.req.param('tenant'),
    chat: c.req.param('chat'),
    thread: c.req.param('thread'),
  });
  assertTenantAllowed(c.get('principal'), key.tenant);
  return key;
}
