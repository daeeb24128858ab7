import { randomBytes } from 'node:crypto';
import type { ConversationKey } from '../../core/keys.js';
import { tenantPath } from '../layout.js';

/** `/console/t/<tenant>/chat/<chat>/<thread>[/<rest>]`, each id escaped as a path segment. */
export function chatPath(key: ConversationKey, rest = ''): string {
  const path = `chat/${encodeURIComponent(key.chat)}/${encodeURIComponent(key.thread)}`;
  return tenantPath(key.tenant, rest ? `${path}/${rest}` : path);
}

/** A fresh chat id for "New conversation": `web-` and 12 random hex digits (a valid `ChatId`). */
export function newChatId(): string {
  return `web-${randomBytes(6).toString('hex')}`;
}
