import type { Readable } from 'node:stream';
import type { ConversationKey } from '../core/keys.js';

/**
 * Files of a conversation (issue 15): what users send (photos, documents) and what the agent sends
 * back (`send_file`). Every file is stored durably under the tenant's keys (S3 `tenants/<t>/files/…`
 * in the cloud, `<data dir>/files/<t>/…` locally) and mirrored into the conversation's folder of
 * the agent's workspace, where the agent is told it is. The workspace is per container and
 * disposable; the store is the truth (`materializeFiles` brings a conversation's files back).
 */

/** `f` + 15 characters base64url: never starts with '-' or '_' (safe as a CLI argument and a path segment). */
export type FileId = string & { readonly __brand: 'FileId' };

/**
 * What a file is, by its content (never by the name or the MIME type a client claimed):
 * - `image`: PNG, JPEG, GIF or WebP (what the model takes as an image block);
 * - `pdf`: a PDF document;
 * - `text`: valid UTF-8 without NUL bytes (logs, JSON, YAML, CSV, code);
 * - `other`: anything else (archives, binaries, office documents…).
 */
export const FILE_KINDS = ['image', 'pdf', 'text', 'other'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** `in`: sent by a user (Telegram, API, CLI); `out`: sent by the agent (`send_file`). */
export type FileDirection = 'in' | 'out';

/** A file as stored. `name` is sanitised (`sanitizeFileName`); `mime` follows from kind and name (`mimeFor`). */
export interface StoredFile {
  id: FileId;
  key: ConversationKey;
  direction: FileDirection;
  name: string;
  size: number;
  mime: string;
  kind: FileKind;
  /** Epoch ms when it was stored. */
  createdAt: number;
}

/** A file the agent sent (`send_file`), with the caption it gave. */
export interface SentFile extends StoredFile {
  caption?: string;
}

/** What a tenant accepts from users: kinds and a size cap. Refusals name the reason. */
export interface FilePolicy {
  /** Largest accepted file in bytes (default 20 MB: the Bot API's download limit). */
  maxBytes: number;
  /** Kinds accepted (default: all). */
  allow: readonly FileKind[];
}

export const DEFAULT_FILE_POLICY: FilePolicy = { maxBytes: 20 * 1024 * 1024, allow: FILE_KINDS };

/** The Bot API's upload limit for a bot's documents (and the `send_file` cap). */
export const MAX_SEND_BYTES = 50 * 1024 * 1024;

/**
 * Durable file storage, one namespace per conversation under the tenant's prefix. Implementations:
 * memory (tests), local directory (`OMNICLOUD_STORAGE=sqlite`), S3 (`cloud`). A file is either
 * wholly stored or absent: a failed `put` leaves nothing a later `list` shows.
 */
export interface FileStore {
  /** Store the local file at `localPath` (its bytes are `file.size` long) as `file`. */
  put(file: StoredFile, localPath: string): Promise<void>;
  /** The conversation's files, oldest first. */
  list(key: ConversationKey): Promise<StoredFile[]>;
  /** One file of the conversation, or `undefined` (unknown id, or another conversation's). */
  get(key: ConversationKey, id: FileId): Promise<StoredFile | undefined>;
  /** The file's bytes as a stream (never buffered whole), or `undefined` if absent. */
  open(key: ConversationKey, id: FileId): Promise<{ file: StoredFile; body: Readable } | undefined>;
}

/** A tenants-file `files` entry as a policy: unset fields take the defaults. */
export function filePolicy(entry: {
  maxMb?: number | undefined;
  allow?: readonly FileKind[] | undefined;
}): FilePolicy {
  return {
    maxBytes:
      entry.maxMb !== undefined ? Math.round(entry.maxMb * 1024 * 1024) : DEFAULT_FILE_POLICY.maxBytes,
    allow: entry.allow !== undefined ? [...new Set(entry.allow)] : DEFAULT_FILE_POLICY.allow,
  };
}
