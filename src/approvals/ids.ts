import { randomBytes } from 'node:crypto';
import { InvalidIdError } from '../core/errors.js';
import type { ApprovalId } from './types.js';

const APPROVAL_ID_RE = /^[A-Za-z0-9_-]{22}$/;

/** A new approval id: 128 random bits as base64url (22 characters; fits Telegram's 64-byte callback data). */
export function newApprovalId(): ApprovalId {
  return randomBytes(16).toString('base64url') as ApprovalId;
}

export function isApprovalId(value: unknown): value is ApprovalId {
  return typeof value === 'string' && APPROVAL_ID_RE.test(value);
}

export function parseApprovalId(value: unknown): ApprovalId {
  if (isApprovalId(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `a ${typeof value}`;
  throw new InvalidIdError(`[ids] invalid approval id ${shown}: expected 22 characters A-Z, a-z, 0-9, '_' and '-'`);
}
