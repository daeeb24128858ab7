import { randomBytes } from 'node:crypto';
import { InvalidIdError } from '../core/errors.js';
import type { ApprovalId } from './types.js';

// Never a leading '-' or '_': an id is a command-line argument (`omnicloud approve ID …`), and a
// leading '-' would read as an option.
/** An approval id's grammar. */
export const APPROVAL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/;

/**
 * A new approval id: 128 random bits as base64url (22 characters; fits Telegram's 64-byte callback
 * data), drawn again in the 1 in 32 cases where it would start with '-' or '_'.
 */
export function newApprovalId(): ApprovalId {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (APPROVAL_ID_RE.test(id)) return id as ApprovalId;
  }
}

export function isApprovalId(value: unknown): value is ApprovalId {
  return typeof value === 'string' && APPROVAL_ID_RE.test(value);
}

export function parseApprovalId(value: unknown): ApprovalId {
  if (isApprovalId(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `a ${typeof value}`;
  throw new InvalidIdError(
    `[ids] invalid approval id ${shown}: expected 22 characters A-Z, a-z, 0-9, '_' and '-', starting with a letter or digit`,
  );
}
