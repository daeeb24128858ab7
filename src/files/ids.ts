import { randomBytes } from 'node:crypto';
import { InvalidIdError } from '../core/errors.js';
import type { FileId } from './types.js';

const FILE_ID_RE = /^f[A-Za-z0-9_-]{15}$/;

/** A new file id: `f` + 90 random bits as base64url. */
export function newFileId(): FileId {
  return `f${randomBytes(12).toString('base64url').slice(0, 15)}` as FileId;
}

export function isFileId(value: unknown): value is FileId {
  return typeof value === 'string' && FILE_ID_RE.test(value);
}

export function parseFileId(value: unknown): FileId {
  if (isFileId(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `a ${typeof value}`;
  throw new InvalidIdError(
    `[ids] invalid file id ${shown}: expected 'f' and 15 characters A-Z, a-z, 0-9, '_' and '-'`,
  );
}
