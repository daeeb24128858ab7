import { conversationKeyString, type ConversationKey } from '../../core/keys.js';
import type { TenantId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { ConversationSettings } from '../../sessions/types.js';
import type { SpareProcess, WarmProcess } from './process.js';

/** Why a live process was not used or was closed (counted in `stats()`). */
export type WarmMiss = 'absent' | 'dead' | 'stale' | 'changed' | 'expired';
/** Why a live process was closed (`approval`: a decision continues its session in a new process). */
export type WarmEviction = 'idle' | 'lru' | 'reset' | 'tenant' | 'failed' | 'shutdown' | 'approval';

export interface WarmPoolStats {
  live: number;
  busy: number;
  /** Spare processes started ahead of a new conversation (`startup()`), not yet taken. */
  spares: number;
  hits: number;
  /** New conversations whose first turn ran in a spare. */
  spareHits: number;
  misses: Record<WarmMiss, number>;
  evictions: Record<WarmEviction, number>;
}

export interface WarmPoolOptions {
  /** Most live processes (idle and busy); 0 disables the pool. */
  max: number;
  /** An idle process is closed after this long. */
  idleMs: number;
  logger: Logger;
  /** Time source for idle eviction (tests). */
  now?: () => number;
}

/**
 * Live agent processes by conversation, at most one each. A process is only handed to a turn that
 * proves nothing changed since its last turn (`claim`); it is never shared across conversations
 * (and so never across tenants). Bounded by count (LRU) and idle time.
 */
export interface WarmPool {
  readonly max: number;
  /**
   * The conversation's live process, if it may take this turn: alive, started with the same
   * `fingerprint`, and `leaseToken` is exactly one more than the token of its last turn — every
   * acquire of a conversation's lease adds one, and every write to its session and map happens
   * under that lease, so no gap means nobody else wrote since. Anything else closes it: `null`.
   * A claimed process is busy (not in the pool) until `put` or `discard`.
   */
  claim(key: ConversationKey, leaseToken: number, fingerprint: string): WarmProcess | null;
  /** The conversation's idle live process, for `/debug`: its child's pid and how long it has been idle. */
  describe(key: ConversationKey): { pid: number | undefined; sessionId: string; idleMs: number } | null;
  /** The lease token of the conversation's idle live process's last turn, if it has one. */
  lastToken(key: ConversationKey): number | undefined;
  /**
   * The conversation's settings as its idle live process last saw them, if nobody held the lease
   * since (`leaseToken` is one more than the process's): then the map cannot have changed.
   */
  knownSettings(key: ConversationKey, leaseToken: number): ConversationSettings | undefined;
  /**
   * A turn under `leaseToken` wrote nothing (a repeat answered from the ledger): the idle process,
   * current up to the token before, stays current.
   */
  carry(key: ConversationKey, leaseToken: number): void;
  /** Keep a process after a turn that ran under `leaseToken` (closed instead if it died). */
  put(process: WarmProcess, leaseToken: number): void;
  /** Close a process that must not take another turn (it failed or its lease was lost). */
  discard(process: WarmProcess, reason: WarmEviction): void;
  /** A turn is about to start a new process (counted as busy until `put`/`discard`). */
  admit(process: WarmProcess): void;
  /** The tenant's ready spare if it was started with `fingerprint` (removed from the pool), else `null`. */
  takeSpare(tenant: TenantId, fingerprint: string): SpareProcess | null;
  /**
   * Start a spare for the tenant's next new conversation unless one with this fingerprint is
   * ready or starting, or the pool is full (live processes come first). One spare per tenant.
   */
  ensureSpare(
    tenant: TenantId,
    fingerprint: string,
    start: (signal: AbortSignal) => Promise<SpareProcess>,
  ): void;
  evict(key: ConversationKey, reason: WarmEviction): void;
  evictTenant(tenant: TenantId, reason: WarmEviction): void;
  stats(): WarmPoolStats;
  /** Pids of the live children (idle and busy): for diagnostics, memory figures and tests. */
  pids(): number[];
  /** Close every process (idle and busy); the pool takes no more. */
  close(): void;
}

/** A tenant's spare: ready, or still starting (`abort` stops the start and kills its child). */
interface SpareEntry {
  fingerprint: string;
  since: number;
  abort: AbortController;
  spare?: SpareProcess;
}

export function createWarmPool(options: WarmPoolOptions): WarmPool {
  const now = options.now ?? Date.now;
  const log = options.logger;
  /** Idle processes, least recently used first (Map keeps insertion order). */
  const idle = new Map<string, { process: WarmProcess; since: number }>();
  const busy = new Set<WarmProcess>();
  /** Per tenant: a ready spare, or the fingerprint of one being started. */
  const spares = new Map<TenantId, SpareEntry>();
  let closed = false;
  const stats: WarmPoolStats = {
    live: 0,
    busy: 0,
    spares: 0,
    hits: 0,
    spareHits: 0,
    misses: { absent: 0, dead: 0, stale: 0, changed: 0, expired: 0 },
    evictions: { idle: 0, lru: 0, reset: 0, tenant: 0, failed: 0, shutdown: 0, approval: 0 },
  };

  function closeIdle(name: string, reason: WarmEviction): void {
    const entry = idle.get(name);
    if (!entry) return;
    idle.delete(name);
    entry.process.close();
    stats.evictions[reason]++;
    log.debug('warm process closed', { conversation: name, reason });
  }

  /**
   * Why an idle process can take no turn whatever the turn: its child died, or it was idle past
   * its time (a frozen Lambda sandbox runs no sweep). The idle cap also keeps the token check
   * sound where the lease item can expire (DynamoDB deletes it a day after its last acquire, and a
   * new item starts at token 1 again): idle time is capped far below that.
   */
  function unusable(entry: { process: WarmProcess; since: number }): 'dead' | 'expired' | undefined {
    if (!entry.process.alive()) return 'dead';
    return now() - entry.since > options.idleMs ? 'expired' : undefined;
  }

  const total = (): number => idle.size + busy.size + spares.size;

  function closeSpare(tenant: TenantId, reason: WarmEviction): void {
    const entry = spares.get(tenant);
    if (!entry) return;
    spares.delete(tenant);
    entry.abort.abort(new Error(`spare closed: ${reason}`));
    entry.spare?.close();
    stats.evictions[reason]++;
  }

  function trim(): void {
    // Spares are speculative: they go before any conversation's process.
    for (const tenant of spares.keys()) {
      if (total() <= options.max) return;
      closeSpare(tenant, 'lru');
    }
    for (const name of idle.keys()) {
      if (total() <= options.max) return;
      closeIdle(name, 'lru');
    }
  }

  const sweep = setInterval(
    () => {
      const cutoff = now() - options.idleMs;
      for (const [name, entry] of idle) if (entry.since <= cutoff) closeIdle(name, 'idle');
      for (const [tenant, entry] of spares) {
        if (entry.spare && (entry.since <= cutoff || !entry.spare.alive())) closeSpare(tenant, 'idle');
      }
    },
    Math.min(30_000, Math.max(1_000, Math.floor(options.idleMs / 4))),
  );
  sweep.unref();

  return {
    max: options.max,
    claim(key, leaseToken, fingerprint) {
      const name = conversationKeyString(key);
      const entry = idle.get(name);
      if (!entry) {
        stats.misses.absent++;
        return null;
      }
      idle.delete(name);
      const { process } = entry;
      const miss: WarmMiss | undefined =
        unusable(entry) ??
        (leaseToken !== process.leaseToken + 1
          ? 'stale'
          : fingerprint !== process.fingerprint
            ? 'changed'
            : undefined);
      if (miss) {
        process.close();
        stats.misses[miss]++;
        log.info('live process not reused; the turn resumes from the store', {
          conversation: name,
          reason: miss,
          ...(miss === 'stale' ? { lease_token: leaseToken, last_token: process.leaseToken } : {}),
        });
        return null;
      }
      stats.hits++;
      busy.add(process);
      return process;
    },
    describe(key) {
      const entry = idle.get(conversationKeyString(key));
      if (!entry || unusable(entry)) return null;
      return { pid: entry.process.pid(), sessionId: entry.process.sessionId, idleMs: now() - entry.since };
    },
    lastToken(key) {
      const entry = idle.get(conversationKeyString(key));
      return entry && !unusable(entry) ? entry.process.leaseToken : undefined;
    },
    knownSettings(key, leaseToken) {
      const entry = idle.get(conversationKeyString(key));
      if (!entry || unusable(entry) || entry.process.leaseToken + 1 !== leaseToken) return undefined;
      return { ...entry.process.settings };
    },
    carry(key, leaseToken) {
      const entry = idle.get(conversationKeyString(key));
      if (entry && entry.process.leaseToken === leaseToken - 1) entry.process.leaseToken = leaseToken;
    },
    admit(process) {
      if (closed) {
        process.close();
        return;
      }
      busy.add(process);
      trim();
    },
    put(process, leaseToken) {
      busy.delete(process);
      if (closed || !process.alive() || options.max === 0) {
        process.close();
        return;
      }
      const name = conversationKeyString(process.key);
      // One process per conversation: a turn that started a new one replaces any left behind.
      if (idle.has(name)) closeIdle(name, 'lru');
      process.leaseToken = leaseToken;
      idle.set(name, { process, since: now() });
      trim();
    },
    discard(process, reason) {
      busy.delete(process);
      process.close();
      stats.evictions[reason]++;
    },
    takeSpare(tenant, fingerprint) {
      const entry = spares.get(tenant);
      if (!entry?.spare || entry.fingerprint !== fingerprint || !entry.spare.alive()) return null;
      spares.delete(tenant);
      stats.spareHits++;
      return entry.spare;
    },
    ensureSpare(tenant, fingerprint, start) {
      if (closed || options.max === 0) return;
      const existing = spares.get(tenant);
      if (existing?.fingerprint === fingerprint && (!existing.spare || existing.spare.alive())) return;
      if (existing) closeSpare(tenant, 'tenant');
      if (total() >= options.max) return;
      const entry: SpareEntry = { fingerprint, since: now(), abort: new AbortController() };
      spares.set(tenant, entry);
      start(entry.abort.signal).then(
        (spare) => {
          if (closed || spares.get(tenant) !== entry) {
            spare.close();
            return;
          }
          entry.spare = spare;
          entry.since = now();
          trim();
        },
        (err: unknown) => {
          if (spares.get(tenant) !== entry) return; // closed meanwhile (shutdown, replaced)
          spares.delete(tenant);
          log.warn('could not start a spare agent process; new conversations start cold', {
            tenant,
            error: err instanceof Error ? err.message : String(err),
          });
        },
      );
    },
    evict(key, reason) {
      closeIdle(conversationKeyString(key), reason);
    },
    evictTenant(tenant, reason) {
      for (const [name, entry] of idle) if (entry.process.key.tenant === tenant) closeIdle(name, reason);
      closeSpare(tenant, reason);
    },
    stats() {
      const ready = [...spares.values()].filter((e) => e.spare !== undefined).length;
      return { ...stats, live: idle.size + busy.size, busy: busy.size, spares: ready };
    },
    pids() {
      const all = [...[...idle.values()].map((e) => e.process), ...busy];
      const ready = [...spares.values()].flatMap((e) => (e.spare ? [e.spare] : []));
      return [...all, ...ready].flatMap((p) =>
        p.alive() && p.pid() !== undefined ? [p.pid() as number] : [],
      );
    },
    close() {
      closed = true;
      clearInterval(sweep);
      for (const name of [...idle.keys()]) closeIdle(name, 'shutdown');
      for (const tenant of [...spares.keys()]) closeSpare(tenant, 'shutdown');
      for (const process of busy) {
        process.close();
        stats.evictions.shutdown++;
      }
      busy.clear();
    },
  };
}
