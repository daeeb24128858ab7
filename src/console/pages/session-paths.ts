import type { TenantId } from '../../core/ids.js';
import type { SessionInfo } from '../../sessions/types.js';
import { tenantPath } from '../layout.js';

/** Addresses of the conversations pages and of the API routes they use (each id escaped as a path segment). */

/** `/console/t/<tenant>/chat/<chat>/<thread>`: the chat page of a conversation. */
export function chatPath(tenant: TenantId, chat: string, thread: string): string {
  return tenantPath(tenant, `chat/${encodeURIComponent(chat)}/${encodeURIComponent(thread)}`);
}

/** `/console/t/<tenant>/sessions/<id>[/<rest>]`: a session's transcript page (and its actions). */
export function sessionPath(tenant: TenantId, sessionId: string, rest = ''): string {
  return tenantPath(tenant, `sessions/${encodeURIComponent(sessionId)}${rest ? `/${rest}` : ''}`);
}

/** `/v1/conversations/<tenant>/sessions/<id>`: the API's session (GET, DELETE; `/export?format=`). */
export function apiSessionPath(tenant: TenantId, sessionId: string, rest = ''): string {
  return `/v1/conversations/${encodeURIComponent(tenant)}/sessions/${encodeURIComponent(sessionId)}${rest ? `/${rest}` : ''}`;
}

/** `/v1/conversations/<tenant>/<chat>/<thread>/sessions/<id>/switch`: continue the conversation from this session. */
export function apiSwitchPath(s: Pick<SessionInfo, 'key' | 'sessionId'>): string {
  const segments = [s.key.tenant, s.key.chat, s.key.thread, 'sessions', s.sessionId, 'switch'];
  return `/v1/conversations/${segments.map(encodeURIComponent).join('/')}`;
}
