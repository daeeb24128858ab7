import { InvalidIdError } from '../core/errors.js';
import { conversationKey, type ConversationKey } from '../core/keys.js';
import { isFileId } from './ids.js';
import { isSanitizedName } from './names.js';
import { FILE_KINDS, type StoredFile } from './types.js';

/**
 * Every store checks a file before writing anything: its key parts are ids, its name is already
 * sanitised (so it is one path segment), its size and time are whole non-negative numbers. A
 * caller that skipped `ingestFile` can therefore not write outside the conversation's folder.
 */
export function assertStorable(file: StoredFile, source: string): void {
  assertKey(file.key);
  const problem = !isFileId(file.id)
    ? 'an invalid file id'
    : !isSanitizedName(file.name)
      ? `a name that is not sanitised (${JSON.stringify(file.name.slice(0, 40))})`
      : file.direction !== 'in' && file.direction !== 'out'
        ? 'an invalid direction'
        : !(FILE_KINDS as readonly string[]).includes(file.kind)
          ? 'an invalid kind'
          : !Number.isSafeInteger(file.size) || file.size < 0
            ? 'an invalid size'
            : !Number.isSafeInteger(file.createdAt) || file.createdAt < 0
              ? 'an invalid createdAt'
              : undefined;
  if (problem) throw new InvalidIdError(`[${source}] refusing to store a file with ${problem}`);
}

/**
 * Throws `InvalidIdError` unless every part of `key` is a valid id. Keys are validated where they
 * are made; the stores check again because a key's parts become path segments.
 */
export function assertKey(key: ConversationKey): void {
  conversationKey(key);
}
