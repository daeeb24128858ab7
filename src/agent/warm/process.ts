import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  query,
  startup,
  type Options,
  type Query,
  type SDKMessage,
  type SDKUserMessage,
  type SpawnOptions,
  type WarmQuery,
} from '@anthropic-ai/claude-agent-sdk';
import type { TenantId } from '../../core/ids.js';
import { errorMessage } from '../../core/errors.js';
import type { ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { ConversationSettings, TranscriptStore } from '../../sessions/types.js';
import { createTurnCollector, type CollectedTurn, type TurnCollector } from '../collect.js';
import { deferredToolUnavailable, MAX_DEFERRED_RETRIES, retryDeferredMessage } from '../deferred-retry.js';
import { interruptOnStop } from '../interrupt.js';
import { verifiedStore, type VerifiedStore } from '../verified-store.js';
import { createInputQueue, type InputQueue } from './input-queue.js';
import { createProcessStore, type ProcessStore, type TurnWrites } from './turn-store.js';

/** What one turn in a live process produced. */
export interface WarmTurn {
  turn: CollectedTurn;
  writes: TurnWrites;
  /** Cumulative session cost before this turn (the result's total includes every earlier turn). */
  costBefore: number;
  /** The history could not be loaded when the process started (its first turn only). */
  loadFailure: Error | undefined;
  /** The process ended during the turn (crash, kill, abort): it takes no further turn. */
  died: boolean;
  /** It ended because it was closed (abort, eviction, shutdown), not because the child failed. */
  closed: boolean;
}

export interface WarmProcessInit {
  key: ConversationKey;
  /** The session the process continues (resumed or created with this id). */
  sessionId: string;
  resume: boolean;
  /** Everything the process was started with that a later turn must match (see `fingerprint.ts`). */
  fingerprint: string;
  /** The unfenced store: loads at start; writes go to each turn's fenced store. */
  transcripts: TranscriptStore;
  /** `query()` options without prompt, store and abort controller (they belong to the process). */
  options: Omit<Options, 'sessionStore' | 'abortController'>;
  log: Logger;
}

/**
 * One long-lived `claude` process for one conversation, driven in streaming-input mode: each turn
 * pushes a user message into the running process and collects messages up to its `result`.
 * Turns are strictly one at a time (the pool hands a process to one turn under the conversation's
 * lease). Any end of the process — crash, `close()`, an abort — ends the turn in progress.
 */
export interface WarmProcess {
  readonly key: ConversationKey;
  readonly sessionId: string;
  readonly fingerprint: string;
  /** Lease token of the last turn this process ran (continuity check, `pool.ts`). */
  leaseToken: number;
  /** The conversation map's `turns` after the last turn (the next turn's `turnsBefore`). */
  mapTurns: number;
  /** The conversation's settings (`/model`, `/agent`) as the map had them at the last turn. */
  settings: ConversationSettings;
  alive(): boolean;
  /** Main transcript entries stored so far (what the turn ledger records as `entriesBefore`). */
  storedEntries(): number;
  /**
   * One turn: `message` pushed into the process, messages collected up to the result. `null` sends
   * nothing: the turn is what the process does on its own after resuming (a deferred call carried out).
   */
  run(
    message: SDKUserMessage | null,
    fenced: TranscriptStore,
    signal: AbortSignal,
    live?: TurnLive,
  ): Promise<WarmTurn>;
  /** Ends the process now (the binary is killed; nothing more is written). */
  close(): void;
  /** The child's pid once spawned. */
  pid(): number | undefined;
}

/** What a turn watches live: its messages as they come, and a stop request (interrupt, not kill). */
export interface TurnLive {
  onMessage?: (message: SDKMessage) => void;
  /** Interrupts the turn (`Query.interrupt()`): it ends with a result and the process stays usable. */
  stop?: AbortSignal;
}

/** What a process is started with before it is bound to a conversation (a spare is not yet). */
type ProcessBase = Omit<WarmProcessInit, 'key'>;

/** The pieces of a live process that exist before its `query()` does. */
interface ProcessParts {
  base: ProcessBase;
  processStore: ProcessStore;
  verified: VerifiedStore;
  input: InputQueue;
  abort: AbortController;
  /** The `query()`/`startup()` options: the caller's plus the process's store, abort and spawn. */
  options: Options;
  child(): ChildProcessWithoutNullStreams | undefined;
  /** False once the child exited (or the process was closed). */
  alive: { value: boolean };
}

function processParts(base: ProcessBase): ProcessParts {
  const { log } = base;
  const processStore = createProcessStore(base.transcripts, (key, entries) => {
    log.debug('append outside a turn dropped (no lease to fence it)', {
      subpath: key.subpath ?? 'main',
      entries,
    });
  });
  const verified = verifiedStore(processStore.store, {
    resume: base.resume,
    describe: `session ${base.sessionId}`,
  });
  const alive = { value: true };
  let child: ChildProcessWithoutNullStreams | undefined;
  // Our own spawn (the SDK's, minus nothing): it tells us when the child exits — a live process
  // whose child died while idle must not be handed a turn — and lets shutdown kill it at once.
  const spawnChild = (o: SpawnOptions): ChildProcessWithoutNullStreams => {
    const spawned = spawn(o.command, o.args, {
      cwd: o.cwd,
      env: o.env,
      signal: o.signal,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    spawned.stderr.on('data', (chunk: Buffer) => {
      log.debug('agent stderr', { line: chunk.toString('utf8').slice(0, 500) });
    });
    spawned.once('exit', () => {
      alive.value = false;
    });
    child = spawned;
    return spawned;
  };
  const abort = new AbortController();
  return {
    base,
    processStore,
    verified,
    input: createInputQueue(),
    abort,
    options: {
      ...base.options,
      sessionStore: verified.store,
      abortController: abort,
      spawnClaudeCodeProcess: spawnChild,
    },
    child: () => child,
    alive,
  };
}

/** A child still running this long after SIGTERM is killed (a hung tool or MCP server). */
const KILL_AFTER_MS = 3_000;

/**
 * Ends the child of `parts` now (the SDK's own close waits ~2 s for a graceful exit, and skips its
 * SIGKILL once the child was signalled): SIGTERM, then SIGKILL if it is still there.
 */
function killChild(parts: ProcessParts): void {
  parts.alive.value = false;
  parts.input.end();
  parts.abort.abort(new Error('warm process closed'));
  const child = parts.child();
  const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
  if (!running()) return;
  child?.kill('SIGTERM');
  const escalate = setTimeout(() => {
    if (running()) child?.kill('SIGKILL');
  }, KILL_AFTER_MS);
  escalate.unref();
}

export function startWarmProcess(init: WarmProcessInit): WarmProcess {
  const parts = processParts(init);
  return attach(parts, query({ prompt: parts.input, options: parts.options }), init.key);
}

/**
 * A process started ahead of a new conversation (the SDK's `startup()`): spawned, initialised and
 * waiting, with the session id it will create chosen now. `take` binds it to the conversation
 * whose first turn it runs; until then it is owned by the pool, which closes it like any other.
 */
export interface SpareProcess {
  readonly tenant: TenantId;
  readonly sessionId: string;
  readonly fingerprint: string;
  alive(): boolean;
  pid(): number | undefined;
  /** Bind to `key` (once): the returned process runs the conversation's first turn. */
  take(key: ConversationKey): WarmProcess;
  close(): void;
}

export async function startSpareProcess(
  init: Omit<WarmProcessInit, 'key' | 'resume'> & {
    tenant: TenantId;
    /** Stops the start (shutdown, the pool closed the spare): the child is killed. */
    signal: AbortSignal;
    initializeTimeoutMs?: number;
  },
): Promise<SpareProcess> {
  const parts = processParts({ ...init, resume: false });
  const stop = (): void => killChild(parts);
  init.signal.addEventListener('abort', stop, { once: true });
  let warm: WarmQuery;
  try {
    if (init.signal.aborted) throw new Error('spare start aborted');
    warm = await startup({ options: parts.options, initializeTimeoutMs: init.initializeTimeoutMs ?? 30_000 });
  } catch (err) {
    killChild(parts);
    throw err;
  } finally {
    init.signal.removeEventListener('abort', stop);
  }
  let taken = false;
  return {
    tenant: init.tenant,
    sessionId: init.sessionId,
    fingerprint: init.fingerprint,
    alive: () => parts.alive.value && !taken,
    pid: () => parts.child()?.pid,
    take(key) {
      if (taken || !parts.alive.value) throw new Error('spare process already taken or gone');
      taken = true;
      return attach(parts, warm.query(parts.input), key);
    },
    close() {
      if (taken) return;
      taken = true;
      warm.close();
      killChild(parts);
    },
  };
}

function attach(parts: ProcessParts, q: Query, key: ConversationKey): WarmProcess {
  const { base, processStore, verified, input, abort, alive } = parts;
  const { log } = base;
  let costTotal: number | undefined;
  let current:
    | {
        collector: TurnCollector;
        onMessage: ((message: SDKMessage) => void) | undefined;
        done: () => void;
        /** Deferred calls tried again in this turn (`deferred-retry.ts`). */
        retries: number;
      }
    | undefined;

  const pump = (async () => {
    try {
      for await (const message of q) {
        if (!current) {
          log.debug('message outside a turn ignored', { type: message.type });
          continue;
        }
        current.collector.observe(message);
        current.onMessage?.(message);
        if (message.type !== 'result') continue;
        if (deferredToolUnavailable(message) && current.retries++ < MAX_DEFERRED_RETRIES) {
          input.push(retryDeferredMessage());
        } else current.done();
      }
      if (current) current.collector.turn.thrown = new Error('the agent process exited during the turn');
    } catch (err) {
      if (current) current.collector.turn.thrown = err;
      else log.debug('agent process ended', { error: errorMessage(err) });
    } finally {
      alive.value = false;
      current?.done();
    }
  })();
  void pump;

  let closed = false;
  function close(): void {
    if (abort.signal.aborted) return;
    closed = true;
    q.close();
    killChild(parts);
  }

  return {
    key,
    sessionId: base.sessionId,
    fingerprint: base.fingerprint,
    leaseToken: 0,
    mapTurns: 0,
    settings: {},
    alive: () => alive.value,
    storedEntries: () => processStore.mainEntries(),
    close,
    pid: () => parts.child()?.pid,
    async run(message, fenced, signal, live) {
      if (!alive.value) throw new Error('warm process is not alive');
      if (current) throw new Error('warm process is already running a turn');
      const collector = createTurnCollector();
      const totalBefore = costTotal;
      const failureBefore = verified.loadFailure();
      processStore.beginTurn(fenced);
      const onAbort = (): void => close();
      signal.addEventListener('abort', onAbort, { once: true });
      let writes: TurnWrites;
      let stopWatch: () => void = () => undefined;
      try {
        await new Promise<void>((resolve) => {
          current = { collector, onMessage: live?.onMessage, done: resolve, retries: 0 };
          if (signal.aborted) return close();
          if (message) input.push(message);
          stopWatch = interruptOnStop(q, live?.stop, close, log);
        });
      } finally {
        current = undefined;
        stopWatch();
        signal.removeEventListener('abort', onAbort);
        // Whatever happened, this turn's lease-fenced store is not used again.
        writes = await processStore.endTurn();
      }
      const turn = collector.turn;
      // The first turn's resume `load()` happens during the turn, so its cost is read only now.
      const costBefore = totalBefore ?? verified.costBefore();
      if (turn.result) costTotal = turn.result.totalCostUsd;
      // A load failure belongs to the turn in which it happened.
      const failure = verified.loadFailure();
      return {
        turn,
        writes,
        costBefore,
        loadFailure: failure !== failureBefore ? failure : undefined,
        died: !alive.value,
        closed,
      };
    },
  };
}
