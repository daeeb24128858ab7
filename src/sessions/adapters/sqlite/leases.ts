import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { Clock } from '../../../core/clock.js';
import { FencedWriteError, LeaseConflictError } from '../../../core/errors.js';
import { conversationKeyString, type ConversationKey } from '../../../core/keys.js';
import type { Logger } from '../../../core/logger.js';
import type { Lease, LeaseManager } from '../../types.js';
import { guarded } from './errors.js';
import type { WriteGuard } from './transcripts.js';

/** Lease lifetime when the caller gives none; long turns heartbeat well before it runs out. */
export const DEFAULT_LEASE_TTL_MS = 60_000;
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SqliteLeases {
  readonly manager: LeaseManager;
  /** A transcript write guard: passes only while `lease` is the current, unexpired holder. */
  fence(lease: Lease): WriteGuard;
}

/**
 * Leases live in the database, so two processes on one file contend correctly. Acquire is one
 * conditional upsert: it takes a free or expired row and bumps its token (rows are never deleted,
 * so the fence only grows). Expiry follows the injected clock; `waitMs` is wall-clock waiting.
 */
export function createSqliteLeases(db: Database.Database, clock: Clock, logger: Logger): SqliteLeases {
  const q = {
    acquire: db
      .prepare<[{ conversation: string; owner: string; expiresAt: number; now: number }], number>(
        `INSERT INTO leases (conversation, token, owner, expires_at) VALUES (@conversation, 1, @owner, @expiresAt)
         ON CONFLICT (conversation) DO UPDATE SET token = leases.token + 1, owner = @owner, expires_at = @expiresAt
         WHERE leases.expires_at <= @now
         RETURNING token`,
      )
      .pluck(),
    heartbeat: db.prepare<[number, string, number, string]>(
      "UPDATE leases SET expires_at = ? WHERE conversation = ? AND token = ? AND owner = ? AND owner <> ''",
    ),
    release: db.prepare<[string, number, string]>(
      "UPDATE leases SET owner = '', expires_at = 0 WHERE conversation = ? AND token = ? AND owner = ?",
    ),
    requestStop: db
      .prepare<[{ conversation: string; now: number; turn: number | null }], number>(
        `INSERT INTO lease_stops (conversation, token)
         SELECT conversation, token FROM leases
         WHERE conversation = @conversation AND owner <> '' AND expires_at > @now
           AND (@turn IS NULL OR token = @turn)
         ON CONFLICT (conversation) DO UPDATE SET token = excluded.token
         RETURNING token`,
      )
      .pluck(),
    stopRequested: db
      .prepare<[string, number], number>('SELECT 1 FROM lease_stops WHERE conversation = ? AND token = ?')
      .pluck(),
    held: db
      .prepare<[string, number], number>(
        "SELECT token FROM leases WHERE conversation = ? AND owner <> '' AND expires_at > ?",
      )
      .pluck(),
    current: db
      .prepare<[string, number, string, number], number>(
        'SELECT 1 FROM leases WHERE conversation = ? AND token = ? AND owner = ? AND expires_at > ?',
      )
      .pluck(),
  };

  const tryAcquire = (key: ConversationKey, ttlMs: number): Lease | null => {
    const now = Math.floor(clock.now());
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const expiresAt = now + ttlMs;
    const token = guarded('leases.acquire', () =>
      q.acquire.get({ conversation: conversationKeyString(key), owner, expiresAt, now }),
    );
    return token === undefined ? null : { key, token, owner, expiresAt };
  };

  const manager: LeaseManager = {
    async acquire(key, options) {
      const ttlMs = options?.ttlMs ?? DEFAULT_LEASE_TTL_MS;
      const deadline = Date.now() + (options?.waitMs ?? 0);
      let pause = POLL_MIN_MS;
      for (;;) {
        const lease = tryAcquire(key, ttlMs);
        if (lease) return lease;
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        await sleep(Math.min(pause, remaining));
        pause = Math.min(pause * 2, POLL_MAX_MS);
      }
      const name = conversationKeyString(key);
      logger.debug('lease busy', { conversation: name });
      throw new LeaseConflictError(
        `[sessions:sqlite] conversation ${name} is busy (another turn holds its lease)`,
      );
    },

    // Matches on token + owner only: a lease that expired but was not taken over (token unchanged)
    // is revived, since nobody else can have written in between.
    async heartbeat(lease, ttlMs = DEFAULT_LEASE_TTL_MS) {
      const expiresAt = Math.floor(clock.now()) + ttlMs;
      const name = conversationKeyString(lease.key);
      const changed = guarded(
        'leases.heartbeat',
        () => q.heartbeat.run(expiresAt, name, lease.token, lease.owner).changes,
      );
      if (changed === 0) {
        throw new FencedWriteError(`[sessions:sqlite] lease ${lease.token} of ${name} was lost`);
      }
      return { ...lease, expiresAt };
    },

    async release(lease) {
      guarded('leases.release', () =>
        q.release.run(conversationKeyString(lease.key), lease.token, lease.owner),
      );
    },

    async requestStop(key, options) {
      const token = guarded('leases.requestStop', () =>
        q.requestStop.get({
          conversation: conversationKeyString(key),
          now: Math.floor(clock.now()),
          turn: options?.turn ?? null,
        }),
      );
      return token === undefined ? { stopping: false } : { stopping: true, turn: token };
    },

    async stopRequested(lease) {
      const name = conversationKeyString(lease.key);
      return guarded('leases.stopRequested', () => q.stopRequested.get(name, lease.token)) !== undefined;
    },

    async current(key) {
      const name = conversationKeyString(key);
      const token = guarded('leases.current', () => q.held.get(name, Math.floor(clock.now())));
      return token === undefined ? null : { turn: token };
    },
  };

  const fence =
    (lease: Lease): WriteGuard =>
    (now) => {
      const name = conversationKeyString(lease.key);
      if (q.current.get(name, lease.token, lease.owner, now) === undefined) {
        throw new FencedWriteError(
          `[sessions:sqlite] write refused: lease ${lease.token} of ${name} is no longer current`,
        );
      }
    };

  return { manager, fence };
}
