import { join } from 'node:path';
import type { ConversationKey } from '../core/keys.js';
import { tenantPrefix } from '../core/keys.js';
import { isFileId } from './ids.js';
import { FILE_KINDS, type FileDirection, type FileId, type FileKind } from './types.js';

/**
 * Where files live. Every part of every path is a validated id (tenant, chat, thread, file id) or a
 * sanitised name, so no input can name a place outside the tenant's namespace.
 *
 * - workspace (what the agent is told): `<cwd>/files/<chat>/<thread>/<id>/<name>`;
 * - durable, relative to the tenant's files root: `<chat>/<thread>/<id>/<direction>-<kind>/<name>`
 *   (S3: under `tenants/<tenant>/files/`; locally: under `<data dir>/files/<tenant>/`).
 */

/** The conversation's folder in the tenant's workspace (`cwd` is the tenant agent's cwd). */
export function conversationFilesDir(cwd: string, key: ConversationKey): string {
  return join(cwd, 'files', key.chat, key.thread);
}

/** Where a file sits in the conversation's folder. */
export function workspacePath(dir: string, file: { id: FileId; name: string }): string {
  return join(dir, file.id, file.name);
}

/** S3 prefix of a tenant's files: `tenants/<tenant>/files/`. */
export function tenantFilesPrefix(key: Pick<ConversationKey, 'tenant'>): string {
  return `${tenantPrefix(key.tenant)}files/`;
}

/** `<chat>/<thread>/`: a conversation's part of the tenant's files root. */
export function conversationPart(key: ConversationKey): string {
  return `${key.chat}/${key.thread}/`;
}

/** `<chat>/<thread>/<id>/<direction>-<kind>/<name>`. */
export function durablePart(file: {
  key: ConversationKey;
  id: FileId;
  direction: FileDirection;
  kind: FileKind;
  name: string;
}): string {
  return `${conversationPart(file.key)}${file.id}/${file.direction}-${file.kind}/${file.name}`;
}

/** Reads back what `durablePart` wrote after the conversation's part; `undefined` for anything else. */
export function parseDurableRest(
  rest: string,
): { id: FileId; direction: FileDirection; kind: FileKind; name: string } | undefined {
  const parts = rest.split('/');
  if (parts.length !== 3) return undefined;
  const [id, tag, name] = parts as [string, string, string];
  const dash = tag.indexOf('-');
  const direction = tag.slice(0, dash);
  const kind = tag.slice(dash + 1);
  if (!isFileId(id) || (direction !== 'in' && direction !== 'out')) return undefined;
  if (!(FILE_KINDS as readonly string[]).includes(kind) || name === '') return undefined;
  return { id, direction, kind: kind as FileKind, name };
}
