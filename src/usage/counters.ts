import { createHash } from 'node:crypto';
import { parseChatId, parseTenantId, parseThreadId, type TenantId } from '../core/ids.js';
import { InvalidUsageError } from './errors.js';
import { ceilToSecond, dayEnd, dayKey, monthEnd, monthKey } from './periods.js';
import type { UsageScope, UsageTurn, UsageWindow } from './types.js';

/**
 * The one place usage keys are built, from validated parts only. A counter key names a scope and
 * a period inside a tenant (the tenant itself is the SQLite `tenant` column / the DynamoDB `pk`,
 * spread over usage shards `<tenant>#u<k>`):
 *
 *   tenant#day#2025-01-31        user#<userId>#month#2025-01        conv#<chat>:<thread>#all
 *   model#<encoded model>#day#2025-01-31   (per-model day counters; the segment is `encodeModel`'s)
 */
export type CounterScope =
  | { kind: 'tenant' }
  | { kind: 'user'; userId: string }
  | { kind: 'conv'; chat: string; thread: string }
  | { kind: 'model'; segment: string };

export type Period = { window: 'day'; key: string } | { window: 'month'; key: string } | { window: 'all' };

/** Counter values in storage units: integer tokens and integer micro-dollars. */
export interface CounterValues {
  turns: number;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  costMicroUsd: number;
  /**
   * Only on a tenant's day counter: the encoded models (`encodeModel`) its turns ran on that day,
   * at most `MAX_MODELS_PER_DAY` (the index the per-model day counters are read by).
   */
  models?: readonly string[];
}

/** A validated turn ready to store, with its retention expiry (epoch ms, whole seconds). */
export interface StoredTurn {
  tenant: TenantId;
  chat: string;
  thread: string;
  userId: string | null;
  sessionId: string;
  model: string;
  values: CounterValues;
  durationMs: number;
  at: number;
  expiresAt: number;
}

/** One counter a turn adds to, with the expiry its item/row gets. */
export interface CounterWrite {
  key: string;
  expiresAt: number;
  /** Add this encoded model to the counter's model set (the tenant's day counter only), unless full. */
  model?: string;
}

/**
 * Models listed per tenant-day (the set on `tenant#day#…`). A turn on a model beyond them is still
 * counted in its own per-model counter and in the day total; the day's figures show it as "other".
 */
export const MAX_MODELS_PER_DAY = 20;

/** Longest encoded model segment kept readable (a DynamoDB sort key has at most 1,024 bytes). */
const MAX_MODEL_SEGMENT = 400;

/**
 * A model id as one key segment: `encodeURIComponent` (so `#`, `:`, `/` of Bedrock ARNs and any
 * other character are safe), `%` alone for "no model" (the empty string), and `%%<32 hex>` (a
 * SHA-256 prefix) for an id whose encoding is longer than 400 characters (or has a lone surrogate). Neither form can be
 * the encoding of an id: `encodeURIComponent` writes `%` only before two hex digits.
 */
export function encodeModel(model: string): string {
  if (model === '') return '%';
  let encoded: string | undefined;
  try {
    encoded = encodeURIComponent(model);
  } catch {
    encoded = undefined; // a lone surrogate: hashed below
  }
  if (encoded !== undefined && encoded.length <= MAX_MODEL_SEGMENT) return encoded;
  return `%%${createHash('sha256').update(model).digest('hex').slice(0, 32)}`;
}

/** The model id of an `encodeModel` segment ('' for no model); a hashed or malformed segment is returned as is. */
export function decodeModel(segment: string): string {
  if (segment === '%') return '';
  if (segment.startsWith('%%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const USER_RE = /^-?[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
const MAX_TEXT = 256;

/** Telegram user ids are integers; API callers may use short slugs. No separators, ≤ 64 chars. */
export function parseUserId(value: unknown): string {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof s === 'string' && USER_RE.test(s)) return s;
  throw new InvalidUsageError(
    `[usage] invalid user id ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `(${typeof value})`}: use an integer or 1–64 characters A-Z, a-z, 0-9, '_' and '-'`,
  );
}

export function counterScope(scope: UsageScope): { tenant: TenantId; scope: CounterScope } {
  const tenant = parseTenantId(scope.tenant);
  if (scope.userId !== undefined)
    return { tenant, scope: { kind: 'user', userId: parseUserId(scope.userId) } };
  if (scope.chat !== undefined) {
    return {
      tenant,
      scope: { kind: 'conv', chat: parseChatId(scope.chat), thread: parseThreadId(scope.thread) },
    };
  }
  return { tenant, scope: { kind: 'tenant' } };
}

export function periodOf(window: UsageWindow, epochMs: number): Period {
  if (window === 'day') return { window, key: dayKey(epochMs) };
  if (window === 'month') return { window, key: monthKey(epochMs) };
  return { window: 'all' };
}

export function counterKey(scope: CounterScope, period: Period): string {
  const s =
    scope.kind === 'tenant'
      ? 'tenant'
      : scope.kind === 'user'
        ? `user#${scope.userId}`
        : scope.kind === 'conv'
          ? `conv#${scope.chat}:${scope.thread}`
          : `model#${scope.segment}`;
  return period.window === 'all' ? `${s}#all` : `${s}#${period.window}#${period.key}`;
}

function count(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new InvalidUsageError(`[usage] ${name} must be a non-negative integer, got ${String(value)}`);
}

function text(name: string, value: unknown, allowEmpty: boolean): string {
  if (typeof value === 'string' && value.length <= MAX_TEXT && (allowEmpty || value.length > 0)) return value;
  throw new InvalidUsageError(`[usage] ${name} must be a string of at most ${MAX_TEXT} characters`);
}

/** Validate a turn (throws `InvalidUsageError` / `InvalidIdError` before any write). */
export function storedTurn(turn: UsageTurn, retentionMs: number): StoredTurn {
  const at = turn.at;
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) {
    throw new InvalidUsageError('[usage] `at` must be an epoch-ms timestamp');
  }
  const cost = turn.costUsd;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
    throw new InvalidUsageError(`[usage] costUsd must be a non-negative number, got ${String(cost)}`);
  }
  const tokens = turn.tokens;
  return {
    tenant: parseTenantId(turn.tenant),
    chat: parseChatId(turn.chat),
    thread: parseThreadId(turn.thread),
    userId: turn.userId === undefined || turn.userId === '' ? null : parseUserId(turn.userId),
    sessionId: text('sessionId', turn.sessionId, true),
    model: turn.model === null ? '' : text('model', turn.model, true),
    values: {
      turns: 1,
      input: count('tokens.input', tokens?.input),
      output: count('tokens.output', tokens?.output),
      cacheCreation: count('tokens.cacheCreation', tokens?.cacheCreation),
      cacheRead: count('tokens.cacheRead', tokens?.cacheRead),
      costMicroUsd: Math.round(cost * 1_000_000),
    },
    durationMs: count('durationMs', Math.round(turn.durationMs)),
    at: Math.floor(at),
    expiresAt: ceilToSecond(at + retentionMs),
  };
}

/**
 * The ten counters a turn adds to: day, month and all of the tenant, the conversation and the user
 * (the user's only with a user id), plus the tenant's per-model day counter. The tenant's day
 * counter also adds the model to its model set (the index of the per-model counters).
 */
export function countersOf(turn: StoredTurn, retentionMs: number): CounterWrite[] {
  const scopes: CounterScope[] = [{ kind: 'tenant' }, { kind: 'conv', chat: turn.chat, thread: turn.thread }];
  if (turn.userId !== null) scopes.push({ kind: 'user', userId: turn.userId });
  const day = periodOf('day', turn.at);
  const dayExpiry = ceilToSecond(dayEnd(turn.at) + retentionMs);
  const periods: Array<[Period, number]> = [
    [day, dayExpiry],
    [periodOf('month', turn.at), ceilToSecond(monthEnd(turn.at) + retentionMs)],
    [periodOf('all', turn.at), turn.expiresAt],
  ];
  const model = encodeModel(turn.model);
  const writes: CounterWrite[] = scopes.flatMap((scope) =>
    periods.map(([period, expiresAt]) =>
      scope.kind === 'tenant' && period.window === 'day'
        ? { key: counterKey(scope, period), expiresAt, model }
        : { key: counterKey(scope, period), expiresAt },
    ),
  );
  writes.push({ key: counterKey({ kind: 'model', segment: model }, day), expiresAt: dayExpiry });
  return writes;
}

export const ZERO: CounterValues = Object.freeze({
  turns: 0,
  input: 0,
  output: 0,
  cacheCreation: 0,
  cacheRead: 0,
  costMicroUsd: 0,
});
