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
 */
export type CounterScope =
  { kind: 'tenant' } | { kind: 'user'; userId: string } | { kind: 'conv'; chat: string; thread: string };

export type Period = { window: 'day'; key: string } | { window: 'month'; key: string } | { window: 'all' };

/** Counter values in storage units: integer tokens and integer micro-dollars. */
export interface CounterValues {
  turns: number;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  costMicroUsd: number;
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
        : `conv#${scope.chat}:${scope.thread}`;
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

/** The nine counters a turn adds to (tenant, conversation and user — the last only with a user id). */
export function countersOf(turn: StoredTurn, retentionMs: number): CounterWrite[] {
  const scopes: CounterScope[] = [{ kind: 'tenant' }, { kind: 'conv', chat: turn.chat, thread: turn.thread }];
  if (turn.userId !== null) scopes.push({ kind: 'user', userId: turn.userId });
  const periods: Array<[Period, number]> = [
    [periodOf('day', turn.at), ceilToSecond(dayEnd(turn.at) + retentionMs)],
    [periodOf('month', turn.at), ceilToSecond(monthEnd(turn.at) + retentionMs)],
    [periodOf('all', turn.at), turn.expiresAt],
  ];
  return scopes.flatMap((scope) =>
    periods.map(([period, expiresAt]) => ({ key: counterKey(scope, period), expiresAt })),
  );
}

export const ZERO: CounterValues = Object.freeze({
  turns: 0,
  input: 0,
  output: 0,
  cacheCreation: 0,
  cacheRead: 0,
  costMicroUsd: 0,
});
