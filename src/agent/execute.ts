import { query, type SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import type { ConversationKey } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import type { Lease, Storage, TranscriptStore } from '../sessions/types.js';
import { collectTurn, type CollectedTurn } from './collect.js';
import { deferredToolUnavailable, MAX_DEFERRED_RETRIES, retryDeferredMessage } from './deferred-retry.js';
import { interruptOnStop } from './interrupt.js';
import type { AgentOptions } from './options.js';
import { verifiedStore } from './verified-store.js';
import { createInputQueue } from './warm/input-queue.js';
import type { WarmPool } from './warm/pool.js';
import { startWarmProcess, type SpareProcess, type TurnLive, type WarmProcess } from './warm/process.js';

/**
 * How a turn reached the agent: a one-shot process, a live process reused, a new live one, or a
 * new conversation's process started ahead.
 */
export type TurnPath = 'cold' | 'warm' | 'started' | 'spare';

export interface TurnExecution {
  turn: CollectedTurn;
  /** Cumulative session cost before the turn (the SDK's totals include every earlier turn). */
  costBefore: number;
  loadFailure: Error | undefined;
  path: TurnPath;
  /**
   * The live process that ran the turn. The runner keeps it (`pool.put`) once the turn is
   * committed, or discards it; until then it is busy and no other turn can have it.
   */
  process: WarmProcess | undefined;
  /** Session-store requests of the turn (loads, listings, appends) — the per-turn storage work. */
  storeRequests: number;
}

export interface ExecuteInput {
  key: ConversationKey;
  /**
   * The turn's user message (`buildUserMessage`: its parts, merged messages and attachments), or
   * `null` to continue the session's deferred tool call instead: the session is resumed in a new
   * process and the binary carries the call out (asking the hook) before anything else.
   */
  message: SDKUserMessage | null;
  lease: Lease;
  abort: AbortController;
  /** The session to continue (`resume`) or to create with this id. */
  sessionId: string;
  resume: boolean;
  /** `query()` options of the turn without prompt, store, session choice and abort controller. */
  options: AgentOptions;
  /** A live process claimed from the pool for this turn (already proven current). */
  warm: WarmProcess | null;
  /** A new conversation's process started ahead (`sessionId` is its id). */
  spare: SpareProcess | null;
  fingerprint: string;
  /** The turn's messages as they come (live replies) and its stop request. */
  live: TurnLive;
  log: Logger;
}

/**
 * Runs one turn through the SDK. Without a pool: a `query()` whose process exits after the turn
 * (resume from the store, one user message). With a pool: in the conversation's live process if
 * the pool handed one over, else in a new live process that stays for later turns.
 *
 * A reused process that dies before storing anything of the turn gets one retry in a new process
 * resumed from the store (nothing was stored, so nothing can run twice). One that dies after
 * storing part of the turn is not retried: the turn ends with a clear error, like a crashed
 * one-shot process, and the turn ledger recovers it on a re-delivery.
 */
export async function executeTurn(
  storage: Storage,
  pool: WarmPool | undefined,
  input: ExecuteInput,
): Promise<TurnExecution> {
  if (!pool || pool.max === 0) return executeCold(storage, input);
  if (input.warm) {
    const first = await runIn(input.warm, storage, input, 'warm');
    const retryable =
      first.execution.turn.result === null &&
      first.writes === 0 &&
      !first.closed &&
      !input.abort.signal.aborted;
    if (!retryable) return first.execution;
    input.log.warn('live agent process died before the turn stored anything; retrying in a new process', {
      error: String(first.execution.turn.thrown ?? 'no result'),
    });
    pool.discard(input.warm, 'failed');
    return runNew(pool, start(pool, storage, input, true), storage, input, 'started');
  }
  if (input.spare) {
    const process = input.spare.take(input.key);
    pool.admit(process);
    return runNew(pool, process, storage, input, 'spare');
  }
  return runNew(pool, start(pool, storage, input, input.resume), storage, input, 'started');
}

/** A turn in a process this turn brought into the pool: on a throw it is discarded, not left busy. */
async function runNew(
  pool: WarmPool,
  process: WarmProcess,
  storage: Storage,
  input: ExecuteInput,
  path: TurnPath,
): Promise<TurnExecution> {
  try {
    return (await runIn(process, storage, input, path)).execution;
  } catch (err) {
    pool.discard(process, 'failed');
    throw err;
  }
}

function start(pool: WarmPool, storage: Storage, input: ExecuteInput, resume: boolean): WarmProcess {
  const process = startWarmProcess({
    key: input.key,
    sessionId: input.sessionId,
    resume,
    fingerprint: input.fingerprint,
    transcripts: storage.transcripts,
    options: { ...input.options, ...(resume ? { resume: input.sessionId } : { sessionId: input.sessionId }) },
    log: input.log.child({ component: 'agent:warm' }),
  });
  pool.admit(process);
  return process;
}

async function runIn(
  process: WarmProcess,
  storage: Storage,
  input: ExecuteInput,
  path: TurnPath,
): Promise<{ execution: TurnExecution; writes: number; closed: boolean }> {
  const counted = countRequests(storage.transcriptsFor(input.lease));
  const run = await process.run(input.message, counted.store, input.abort.signal, input.live);
  return {
    writes: run.writes.appends,
    closed: run.closed,
    execution: {
      turn: run.turn,
      costBefore: run.costBefore,
      loadFailure: run.loadFailure,
      path,
      process,
      storeRequests: counted.requests(),
    },
  };
}

async function executeCold(storage: Storage, input: ExecuteInput): Promise<TurnExecution> {
  const counted = countRequests(storage.transcriptsFor(input.lease));
  const verified = verifiedStore(counted.store, {
    resume: input.resume,
    describe: `session ${input.sessionId}`,
  });
  // Streaming input held open until the result, so a stop can interrupt the turn (a control
  // request); then the input ends and the process exits.
  const prompt = createInputQueue();
  if (input.message) prompt.push(input.message);
  const q = query({
    prompt,
    options: {
      ...input.options,
      abortController: input.abort,
      sessionStore: verified.store,
      ...(input.resume ? { resume: input.sessionId } : { sessionId: input.sessionId }),
    },
  });
  const stopWatch = interruptOnStop(
    q,
    input.live.stop,
    () => input.abort.abort(new Error('stop')),
    input.log,
  );
  let turn: CollectedTurn;
  let retries = 0;
  try {
    turn = await collectTurn(q, (message) => {
      input.live.onMessage?.(message);
      if (message.type !== 'result') return;
      if (deferredToolUnavailable(message) && retries++ < MAX_DEFERRED_RETRIES)
        prompt.push(retryDeferredMessage());
      else prompt.end();
    });
  } finally {
    stopWatch();
    prompt.end();
  }
  return {
    turn,
    costBefore: verified.costBefore(),
    loadFailure: verified.loadFailure(),
    path: 'cold',
    process: undefined,
    storeRequests: counted.requests(),
  };
}

/** Counts the session-store requests a turn makes through `store`. */
function countRequests(store: TranscriptStore): { store: TranscriptStore; requests: () => number } {
  let n = 0;
  const counted =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      n++;
      return fn(...args);
    };
  return {
    store: {
      append: counted((k, e) => store.append(k, e)),
      load: counted((k) => store.load(k)),
      listSessions: counted((p) => store.listSessions(p)),
      listSubkeys: counted((k) => store.listSubkeys(k)),
      delete: counted((k) => store.delete(k)),
      stat: counted((k) => store.stat(k)),
    },
    requests: () => n,
  };
}
