import { join } from 'node:path';
import type { ConversationKey } from '../core/keys.js';
import { tenantPrefix } from '../core/keys.js';
import { isFileId } from './ids.js';
import { isSanitizedName } from './names.js';
import { FILE_KINDS, type FileDirection, type FileId, type FileKind } from './types.js';

/**
 * Where files live. Every part of every path is a validated id (tenant, chat, thread, file id) or a
 * sanitised name, so no input can name a place outside the tenant's namespace.
 *
 * - workspace (what the agent is told): `<cwd>/files/<chat>/<thread>/<id>/<name>`;
 * - durable, relative to the tenant's files root:
 *   `<chat>/<thread>/<id>/<direction>-<kind>-<createdAt>/<name>` (S3: under `tenants/<tenant>/files/`;
 *   locally: under `<data dir>/files/<tenant>/`). `createdAt` (epoch ms) is in the key because a
 *   listing is all a store reads: S3's `LastModified` has whole seconds only, so an album's parts
 *   would lose their order.
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

/** What a durable key says about a file (everything of `StoredFile` but the conversation, size and MIME type). */
export interface DurableParts {
  id: FileId;
  direction: FileDirection;
  kind: FileKind;
  createdAt: number;
  name: string;
}

/** `<id>/<direction>-<kind>-<createdAt>`: the folder of a file, relative to its conversation's part. */
export function durableFolder(file: Omit<DurableParts, 'name'>): string {
  return `${file.id}/${file.direction}-${file.kind}-${file.createdAt}`;
}

/** `<chat>/<thread>/<id>/<direction>-<kind>-<createdAt>/<name>`. */
export function durablePart(file: DurableParts & { key: ConversationKey }): string {
  return `${conversationPart(file.key)}${durableFolder(file)}/${file.name}`;
}

const TAG_RE = new RegExp(`^(in|out)-(${FILE_KINDS.join('|')})-(0|[1-9][0-9]{0,15})$`);

/**
 * Reads back what `durablePart` wrote after the conversation's part; `undefined` for anything else
 * (other shapes, temporary files, a name that is not already sanitised), so a stray key can never
 * name a place outside the file's folder.
 */
export function parseDurableRest(rest: string): DurableParts | undefined {
  const parts = rest.split('/');
  if (parts.length !== 3) return undefined;
  const [id, tag, name] = parts as [string, string, string];
  const m = TAG_RE.exec(tag);
  if (!m || !isFileId(id) || !isSanitizedName(name)) return undefined;
  const createdAt = Number(m[3]);
  if (!Number.isSafeInteger(createdAt)) return undefined;
  return { id, direction: m[1] as FileDirection, kind: m[2] as FileKind, createdAt, name };
}
