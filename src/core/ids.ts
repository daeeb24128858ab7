import { InvalidIdError } from './errors.js';

/**
 * Validated identifiers. Every storage key and path in the system is built from these (see
 * `keys.ts`), never from raw strings, so a hostile id can never name a path outside its tenant.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type TenantId = Brand<string, 'TenantId'>;
export type ChatId = Brand<string, 'ChatId'>;
export type ThreadId = Brand<string, 'ThreadId'>;
export type SessionId = Brand<string, 'SessionId'>;
/** A stable id of one user message (`tg:<update_id>`, `api:<idempotency key>`): the turn ledger's key. */
export type RequestId = Brand<string, 'RequestId'>;

export const DEFAULT_TENANT = 'default' as TenantId;
/** Thread of a conversation that has no topic (private chats, the CLI without `--thread`). */
export const DEFAULT_THREAD = 'main' as ThreadId;

/** A tenant id: 1–32 characters a-z, 0-9 and '-' (not at the ends). Boundary schemas use it as their pattern. */
export const TENANT_RE = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/**
 * A chat or thread id as text. Telegram chat ids are signed integers; API callers may use short
 * slugs. No dots, slashes, colons. Boundary schemas use it as their pattern.
 */
export const SEGMENT_RE = /^-?[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
/** A request id (the turn ledger's key part): 1–128 characters A-Z, a-z, 0-9, ':', '_' and '-'. */
export const REQUEST_ID_RE = /^[A-Za-z0-9:_-]{1,128}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function describe(value: unknown): string {
  if (typeof value !== 'string') return `a ${typeof value}`;
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}

export function parseTenantId(value: unknown): TenantId {
  if (typeof value === 'string' && TENANT_RE.test(value)) return value as TenantId;
  throw new InvalidIdError(
    `[ids] invalid tenant id ${describe(value)}: use 1–32 characters a-z, 0-9 and '-' (not at the ends)`,
  );
}

export function parseChatId(value: unknown): ChatId {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof s === 'string' && SEGMENT_RE.test(s)) return s as ChatId;
  throw new InvalidIdError(
    `[ids] invalid chat id ${describe(value)}: use an integer or 1–64 characters A-Z, a-z, 0-9, '_' and '-'`,
  );
}

export function parseThreadId(value: unknown): ThreadId {
  if (value === undefined || value === null || value === '') return DEFAULT_THREAD;
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof s === 'string' && SEGMENT_RE.test(s)) return s as ThreadId;
  throw new InvalidIdError(
    `[ids] invalid thread id ${describe(value)}: use an integer or 1–64 characters A-Z, a-z, 0-9, '_' and '-'`,
  );
}

export function parseSessionId(value: unknown): SessionId {
  if (typeof value === 'string' && UUID_RE.test(value)) return value as SessionId;
  throw new InvalidIdError(`[ids] invalid session id ${describe(value)}: expected a lowercase UUID`);
}

export function parseRequestId(value: unknown): RequestId {
  if (typeof value === 'string' && REQUEST_ID_RE.test(value)) return value as RequestId;
  throw new InvalidIdError(
    `[ids] invalid request id ${describe(value)}: use 1–128 characters A-Z, a-z, 0-9, ':', '_' and '-'`,
  );
}

export function isTenantId(value: unknown): value is TenantId {
  return typeof value === 'string' && TENANT_RE.test(value);
}
