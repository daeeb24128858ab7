import { randomUUID } from 'node:crypto';
import type { SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { systemClock, type Clock } from '../core/clock.js';
import { DeliveryDeferredError } from '../core/delivery-deferred.js';
import { errorMessage, FilesUnavailableError, OmniError } from '../core/errors.js';
import type { ApprovalId, ApprovalRecord } from '../approvals/types.js';
import {
  parseRequestId,
  parseSessionId,
  parseTenantId,
  type RequestId,
  type SessionId,
  type TenantId,
} from '../core/ids.js';
import { conversationKeyString, projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { conversationFilesDir } from '../files/paths.js';
import type { SentFile } from '../files/types.js';
import { settingsOf } from '../sessions/settings.js';
import type { ConversationSettings, Lease, Storage } from '../sessions/types.js';
import type { BudgetRefusal, UsageStore } from '../usage/index.js';
import {
  budgetRefusedResult,
  createTurnAccounting,
  reachedModel,
  type TenantPolicyResolver,
} from './budget.js';
import { buildChildEnv, type TurnLimits } from './child-env.js';
import type { CollectedTurn } from './collect.js';
import { createApprovalFlow, pendingApproval, type TurnApprovals } from './approval-flow.js';
import { createApprovalGate } from './approval-gate.js';
import { turnChoice } from './choice.js';
import { createEventTranslator, safeListener } from './events.js';
import { createModelRateGate, ModelRateLimitedError, type ModelRateLimiter } from './model-rate/index.js';
import { executeTurn, type TurnExecution } from './execute.js';
import { createExactlyOnce } from './exactly-once.js';
import { turnOptions, type AgentOptions } from './options.js';
import type { TenantAgent, TenantAgentResolver } from './profile.js';
import type { ModelProvider, ModelSelection } from './provider.js';
import { createFileOutbox, OMNICLOUD_MCP_SERVER, SEND_FILE_TOOL } from './send-file.js';
import { prepareTurnFiles } from './turn-files.js';
import {
  isTurnErrorCode,
  type AgentRunner,
  type TurnErrorCode,
  type TurnEvent,
  type TurnRequest,
  type TurnResult,
} from './types.js';
import { buildUserMessage, withAttachmentNotes, type MessagePart } from './user-content.js';
import { processFingerprint } from './warm/fingerprint.js';
import type { WarmPool } from './warm/pool.js';
import { startSpareProcess } from './warm/process.js';

export interface AgentRunnerDeps {
  storage: Storage;
  tenants: TenantAgentResolver;
  provider: ModelProvider;
  models: ModelSelection;
  limits: TurnLimits & { turnTimeoutMs: number; maxTurns: number };
  /** Single-writer lease: how long one is held without a heartbeat, and how long to wait for one. */
  lease?: { ttlMs?: number; waitMs?: number };
  /** PATH for the agent's tools. */
  path: string;
  logger: Logger;
  clock?: Clock;
  pathToClaudeCodeExecutable?: string;
  /** Usage accounting: every turn that reached the model is recorded; budgets are checked before. */
  usage?: UsageStore;
  /** Per-tenant default model and budgets (the tenants file). */
  tenantPolicy?: TenantPolicyResolver;
  /**
   * The model-request budget shared by every container (`model-rate/`): used for tenants whose
   * policy has `modelRequestsPerMinute`. Without it no request waits.
   */
  modelRate?: ModelRateLimiter;
  /**
   * Live agent processes kept between turns (`warm/pool.ts`). Without one (or with `max` 0) every
   * turn starts the binary and resumes from the store.
   */
  warm?: WarmPool;
  /**
   * Keep one process started ahead (`startup()`) for each tenant's next new conversation. For
   * long-running hosts; not in Lambda, where the start-up would run in the next invocation's time.
   */
  spares?: boolean;
  /**
   * How often a running turn checks its lease for a stop request (`/stop` from any process): one
   * strongly consistent read each time. Default 1000 ms.
   */
  stopPollMs?: number;
}

/** The pre-turn reads (`preTurnReads`): turn ledger, budget check, the tenant's agent. */
type PreTurnReads = Promise<
  [Settled<TurnResult | null | 'recheck'>, Settled<BudgetRefusal | undefined>, Settled<TenantAgent>]
>;

/** One attempt at a turn under a held lease: what `runTurn` hands to `runLeased`. */
interface LeasedAttempt {
  request: TurnRequest;
  /** Set when the turn runs at most once (the turn ledger records it). */
  requestId: RequestId | undefined;
  /** Started with the lease acquire or once it is held (see `runTurn`); `recheck` = read again under it. */
  reads: PreTurnReads;
  /** The single-writer lease held for the conversation; transcripts are written under it. */
  lease: Lease;
  /** Stops the turn: caller abort, turn timeout or a lost lease. */
  abort: AbortController;
  /** `clock.now()` when the turn began; durations are measured from here. */
  started: number;
  log: Logger;
  /** True once a heartbeat failed: another attempt may own the request, so nothing is recorded. */
  leaseLost: () => boolean;
  /** Aborted when a stop was requested for this turn: the turn is interrupted, not killed. */
  stop: AbortSignal;
  /** Request ids of the messages merged into this turn (recorded as answered by it). */
  mergedIds: RequestId[];
}

const EMPTY_USAGE = {
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

/**
 * The agent runner: one turn = lease → (turn ledger) → map lookup → `query()` with resume +
 * sessionStore → result mapping → map touch → (ledger: result recorded) → (`deliver`) → release.
 * Model/agent failures come back as `is_error` results with a stable `error_code`; infrastructure
 * failures (lease conflict, storage down) throw `OmniError`s so a queue can retry them.
 *
 * With a `requestId` the turn runs at most once (see `exactly-once.ts`): a repeat gets the
 * recorded result back, and an attempt that died after its turn was stored is finished from the
 * transcript instead of being run again.
 */
export function createAgentRunner(deps: AgentRunnerDeps): AgentRunner {
  const clock = deps.clock ?? systemClock;
  const leaseTtlMs = deps.lease?.ttlMs ?? 60_000;
  const leaseWaitMs = deps.lease?.waitMs ?? 30_000;
  const stopPollMs = deps.stopPollMs ?? 1_000;
  const accounting = deps.usage
    ? createTurnAccounting({ usage: deps.usage, logger: deps.logger })
    : undefined;
  const once = createExactlyOnce({ storage: deps.storage, clock, logger: deps.logger });
  const gate = createApprovalGate(deps.logger.child({ component: 'agent:approvals' }));
  const rateGate = deps.modelRate
    ? createModelRateGate(deps.modelRate, deps.logger.child({ component: 'agent:model-rate' }))
    : undefined;
  const approvalFlow = createApprovalFlow({ approvals: deps.storage.approvals, logger: deps.logger });
  const outbox = createFileOutbox({
    store: deps.storage.files,
    logger: deps.logger.child({ component: 'agent:files' }),
    clock,
  });
  const pool = deps.warm && deps.warm.max > 0 ? deps.warm : undefined;

  async function runTurn(request: TurnRequest): Promise<TurnResult> {
    const started = clock.now();
    const key = request.key;
    const log = deps.logger.child({ conversation: conversationKeyString(key) });
    // Validated before anything is locked or written.
    const requestId = request.requestId === undefined ? undefined : parseRequestId(request.requestId);
    const mergedIds = mergedRequestIds(request, requestId);
    // With a live process for the conversation, its pre-turn reads start with the lease acquire:
    // they are used only if the token proves nobody held the lease since that process's turn
    // (then nobody wrote this conversation's ledger or usage in between); otherwise read again.
    const lastToken = pool?.lastToken(key);
    const early = lastToken === undefined ? undefined : preTurnReads(request, requestId, started, false);
    const lease = await deps.storage.leases.acquire(key, { ttlMs: leaseTtlMs, waitMs: leaseWaitMs });
    const reads = early && lease.token === (lastToken ?? 0) + 1 ? early : undefined;
    const abort = new AbortController();
    const heartbeat = keepLease(lease, abort, log);
    const stop = watchStop(lease, log);
    const onCallerAbort = (): void => abort.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const timeout = setTimeout(() => abort.abort(new Error('turn timeout')), deps.limits.turnTimeoutMs);
    try {
      const result = await runLeased({
        request,
        requestId,
        reads: reads ?? preTurnReads(request, requestId, started, true),
        lease,
        abort,
        started,
        log,
        leaseLost: heartbeat.lost,
        stop: stop.signal,
        mergedIds,
      });
      return await deliverLeased(request, requestId, result, log);
    } finally {
      clearTimeout(timeout);
      request.signal?.removeEventListener('abort', onCallerAbort);
      heartbeat.stop();
      stop.dispose();
      await deps.storage.leases.release(lease).catch((err: unknown) => {
        log.warn('lease release failed', { error: errorMessage(err) });
      });
    }
  }

  /**
   * What a turn reads before it may run: the turn ledger (a repeat?), the budgets (refused?) and
   * the tenant's agent. Independent of each other, so one round trip of waiting instead of three;
   * settled, so a failure of one leaves no other promise unhandled.
   */
  function preTurnReads(
    request: TurnRequest,
    requestId: RequestId | undefined,
    started: number,
    leased: boolean,
  ): PreTurnReads {
    const policy = deps.tenantPolicy?.(request.key.tenant);
    // Without the lease only a plain read: `prior()` may finish an interrupted turn (writes). Any
    // record found is looked at again under the lease; none is the common case.
    const ledger = (): Promise<TurnResult | null | 'recheck'> =>
      !requestId
        ? Promise.resolve(null)
        : leased
          ? once.prior(request.key, requestId, started)
          : deps.storage.turns.get(request.key, requestId).then((r) => (r === null ? null : 'recheck'));
    return Promise.all([
      settle(ledger()),
      settle(
        accounting ? accounting.check(request, policy?.budgets, clock.now()) : Promise.resolve(undefined),
      ),
      settle(resolveAgent(request.key)),
    ]);
  }

  /** Heartbeats the lease; a failed heartbeat aborts the turn and marks the lease lost. */
  function keepLease(
    initial: Lease,
    abort: AbortController,
    log: Logger,
  ): { stop: () => void; lost: () => boolean } {
    let lease = initial;
    let lost = false;
    const timer = setInterval(
      () => {
        deps.storage.leases.heartbeat(lease, leaseTtlMs).then(
          (next) => {
            lease = next;
          },
          (err: unknown) => {
            log.error('lease lost during the turn; aborting it', { error: errorMessage(err) });
            lost = true;
            abort.abort(err);
          },
        );
      },
      Math.max(1_000, Math.floor(leaseTtlMs / 3)),
    );
    timer.unref();
    return { stop: () => clearInterval(timer), lost: () => lost };
  }

  /**
   * Polls the lease for a stop request every `stopPollMs` while the turn holds it; the signal is
   * aborted once one is found. A failed read is logged and tried again at the next tick.
   */
  function watchStop(lease: Lease, log: Logger): { signal: AbortSignal; dispose: () => void } {
    const stop = new AbortController();
    let reading = false;
    const timer = setInterval(() => {
      if (reading || stop.signal.aborted) return;
      reading = true;
      deps.storage.leases
        .stopRequested(lease)
        .then(
          (requested) => {
            if (requested && !stop.signal.aborted) {
              log.info('stop requested for the running turn', { turn: lease.token });
              stop.abort(new Error('stopped by request'));
            }
          },
          (err: unknown) => log.debug('stop check failed; trying again', { error: errorMessage(err) }),
        )
        .finally(() => {
          reading = false;
        });
    }, stopPollMs);
    timer.unref();
    return { signal: stop.signal, dispose: () => clearInterval(timer) };
  }

  /**
   * Hands the result to `request.deliver` while the lease is still held (unless an earlier attempt
   * delivered it), then records the delivery. Without `deliver` the caller delivers the result. A
   * `DeliveryDeferredError` from `deliver` is rethrown (nothing marked delivered).
   */
  async function deliverLeased(
    request: TurnRequest,
    requestId: RequestId | undefined,
    result: TurnResult,
    log: Logger,
  ): Promise<TurnResult> {
    if (!request.deliver || result.delivered === true) return result;
    let delivered = false;
    try {
      delivered = await request.deliver(result);
    } catch (err) {
      // The reply outbox: the result stays recorded, not delivered; the lease is released as usual
      // and the caller's queue brings the request back, answered then from the ledger.
      if (err instanceof DeliveryDeferredError) throw err;
      log.error('delivering the turn result failed', { error: errorMessage(err) });
    }
    if (delivered && requestId) await once.markDelivered(request.key, requestId);
    return requestId ? { ...result, delivered } : result;
  }

  async function runLeased(attempt: LeasedAttempt): Promise<TurnResult> {
    const { request, requestId, lease, abort, started, log, leaseLost, stop, mergedIds } = attempt;
    const key = request.key;
    const policy = deps.tenantPolicy?.(key.tenant);
    const [earlier, budget, resolved] = await attempt.reads;
    // A repeat is answered from the ledger whatever the budget or the agent's configuration now say.
    const ledger = unwrap(earlier);
    const prior = ledger === 'recheck' && requestId ? await once.prior(key, requestId, started) : ledger;
    if (prior && prior !== 'recheck') {
      // A recorded result read back writes nothing: a live process stays current.
      if (prior.replayed === 'done') pool?.carry(key, lease.token);
      return prior;
    }
    // Checked under the lease: an earlier turn of this conversation has been recorded by now. A
    // refusal comes first, whatever the agent's configuration now says (nothing would run).
    const refusal = unwrap(budget);
    if (refusal) {
      // Nothing is written under this lease: a live process stays current.
      pool?.carry(key, lease.token);
      const mapped = await deps.storage.conversations.get(key);
      log.info('turn refused: budget used up', { scope: refusal.scope, period: refusal.period });
      return budgetRefusedResult(refusal, {
        sessionId: mapped?.sessionId ?? '',
        durationMs: clock.now() - started,
      });
    }
    const emit = safeListener(request.onEvent, log);
    // The turn's first model request takes a slot of the tenant's budget (waiting while it is full).
    const waited = await firstModelSlot(attempt, emit);
    if (waited) return waited;
    const agent = unwrap(resolved);
    if (request.agent !== undefined && agent.profile.agents[request.agent] === undefined) {
      throw new OmniError(
        'unknown_agent',
        `[runner] no agent "${request.agent}" in the tenant's agents.json (known: ${Object.keys(agent.profile.agents).join(', ') || 'none'})`,
        { status: 400 },
      );
    }
    // The conversation's settings (`/model`, `/agent`): a live process that may take this turn
    // knows them (nobody held the lease since its last turn, so the map is as it left it);
    // otherwise the map is read now — a turn without a live process reads it anyway.
    const known = request.approval ? undefined : pool?.knownSettings(key, lease.token);
    let map = known ? undefined : await deps.storage.conversations.get(key);
    const settings = known ?? settingsOf(map ?? null);
    const choice = turnChoice({ request, settings, policy, agents: agent.profile.agents });
    if (choice.dropped.length > 0) {
      log.warn('conversation setting no longer configured; using the default', { dropped: choice.dropped });
    }
    const { fingerprint, options } = agentSetup(key.tenant, agent, choice.model, choice.agent);
    // A decision continues the session from the store in a new process: the binary carries out a
    // deferred call only when it resumes the session. (A turn that deferred kept no process.)
    if (request.approval) pool?.evict(key, 'approval');
    const warm = request.approval ? null : (pool?.claim(key, lease.token, fingerprint) ?? null);
    const parts = userParts(request);
    const dir = conversationFilesDir(agent.workspace.cwd, key);
    // The conversation's files on this machine: concurrent with the reads and writes below, awaited
    // before the message is built (it reads the images and PDFs it shows).
    const files = settle(
      prepareTurnFiles({
        store: deps.storage.files,
        key,
        dir,
        attachments: parts.flatMap((p) => p.attachments ?? []),
        warm: warm !== null,
      }),
    );
    // A live process that passed the claim knows the map's row: nobody wrote it since its last turn
    // (and a turn that ended on an approval request kept no process, so nothing is pending).
    if (warm) map = null;
    else if (map === undefined) map = await deps.storage.conversations.get(key);
    const record = warm ? { sessionId: warm.sessionId, turns: warm.mapTurns } : map;
    const approvals = await approvalFlow.prepare({
      key,
      map,
      answer: request.approval,
      requestId,
      // Told to the agent if they answer a pending request instead of a decision: text only, so
      // their files are named by their notes.
      messages: parts.map((p) => withAttachmentNotes(p, dir)),
      now: clock.now(),
    });
    if ('refused' in approvals) {
      log.info('approval decision refused', { approval: request.approval?.id, reason: approvals.refused });
      // Nothing ran and nothing was written to the conversation.
      const ctx = {
        sessionId: record?.sessionId ?? '',
        costBefore: 0,
        loadFailure: undefined,
        aborted: undefined,
      };
      return failure(
        { ...ctx, durationMs: clock.now() - started },
        'approval_unavailable',
        `[approvals] ${approvals.refused}`,
      );
    }
    // A record without turns names a session chosen by `/model` or `/agent` before the first turn:
    // it starts here, it is not resumed.
    const resume = record && record.turns > 0 ? record.sessionId : undefined;
    // A new conversation takes the tenant's spare (started ahead with the same setup), whose
    // session id was chosen when it started.
    const spare = resume === undefined ? (pool?.takeSpare(key.tenant, fingerprint) ?? null) : null;
    const sessionId = resume ?? spare?.sessionId ?? randomUUID();
    let execution: TurnExecution | undefined;
    try {
      // Budget refusals above are not recorded: nothing ran, so a repeat may simply be checked
      // again. The ledger knows the turn before the agent is asked: a tool it runs is never run
      // again by a re-delivery that found no record.
      if (requestId) {
        await once.begin(
          key,
          requestId,
          {
            sessionId: parseSessionId(sessionId),
            resumed: resume !== undefined,
            turnsBefore: record?.turns ?? 0,
            ...(warm ? { entriesBefore: warm.storedEntries() } : {}),
          },
          mergedIds,
        );
      }
      const prepared = unwrap(await files);
      const message = approvals.continuation ? null : await userMessageOf(parts, dir);
      const events = createEventTranslator();
      emit?.({ type: 'turn_started', turn: lease.token });
      const sent: SentFile[] = [];
      const endGate = gate.begin(sessionId, approvals.gate);
      const endOutbox = outbox.begin(sessionId, { key, dir, files: sent });
      const rate = beginRateTurn(sessionId, key.tenant, abort, stop, emit);
      execution = await executeTurn(deps.storage, pool, {
        key,
        message,
        lease,
        abort,
        sessionId,
        resume: resume !== undefined,
        options: withOutbox(options, sessionId),
        warm,
        spare,
        fingerprint,
        live: {
          stop: rate.stop,
          onMessage: (message) => {
            const produced = events.translate(message);
            if (emit) for (const event of produced) emit(event);
          },
        },
        log,
      }).finally(() => {
        endGate();
        endOutbox();
        rate.end();
      });
      const { turn } = execution;
      const deferred = await recordDeferred(
        request,
        approvals,
        agent,
        turn,
        parseSessionId(turn.sessionId ?? sessionId),
        log,
      );
      const result = withFiles(
        withApprovals(
          rateLimited(
            rate.limited(),
            toTurnResult(turn, {
              sessionId: turn.sessionId ?? sessionId,
              costBefore: execution.costBefore,
              loadFailure: execution.loadFailure,
              aborted: abort.signal.aborted ? abort.signal.reason : undefined,
              stopped: stop.aborted,
              partialText: events.streamedText(),
              durationMs: clock.now() - started,
            }),
          ),
          { approvals, deferred, streamed: events.streamedText() },
        ),
        sent,
      );
      // A turn is committed once the map points at its session. A new session whose history did not
      // reach the store is not recorded (the next turn starts clean instead of failing to resume).
      const persisted = turn.result !== null && turn.mirrorErrors.length === 0;
      await accounting?.record(request, result, clock.now());
      let mapped = record?.turns ?? 0;
      let touched = false;
      // After a lost lease another worker owns the conversation: its map is not ours to move.
      if (!leaseLost() && (persisted || (resume !== undefined && turn.result !== null))) {
        mapped = (
          await deps.storage.conversations.touch(
            key,
            parseSessionId(result.session_id),
            deferred ? { pendingApproval: deferred.id } : {},
          )
        ).turns;
        touched = true;
      }
      // Concurrent with the ledger's write: neither waits for the other.
      const catalogued = touched ? recordSession(key, request, result, log) : Promise.resolve();
      if (requestId) await recordOutcome(key, requestId, result, leaseLost(), log);
      await catalogued;
      // A process whose turn ended on a deferred call is not kept: the binary carries the call out
      // only when a process resumes the session.
      keepOrClose(execution, {
        persisted,
        aborted: abort.signal.aborted || leaseLost(),
        deferred: deferred !== undefined,
        mapped,
        settings,
        lease,
      });
      // The tenant's next new conversation will find a process already started (for its default
      // setup: a turn with its own model does not replace the spare).
      if (resume === undefined && choice.model === policy?.model && choice.agent === undefined)
        ensureSpare(key.tenant, fingerprint, options);
      log.info('turn finished', {
        session_id: result.session_id,
        resumed: resume !== undefined,
        path: execution.path,
        store_requests: execution.storeRequests,
        files: prepared.action,
        files_ms: prepared.ms,
        files_sent: sent.length,
        is_error: result.is_error,
        error_code: result.error_code,
        cost_usd: result.cost_usd,
        duration_ms: result.duration_ms,
      });
      return result;
    } catch (err) {
      // The process may now hold a turn the store or the map does not: it must not take another.
      const process = execution?.process ?? warm;
      if (process) pool?.discard(process, 'failed');
      throw err;
    }
  }

  /**
   * Takes the slot of the turn's first model request from the tenant's budget, waiting while the
   * window is full (the caller sees `model_wait` events). Undefined when the turn may go on; a
   * stopped or aborted wait ends the turn with that result (nothing ran or was written). No slot
   * within the maximum wait throws `ModelRateLimitedError` (429: a queue tries the message later).
   */
  async function firstModelSlot(
    attempt: LeasedAttempt,
    emit: ((event: TurnEvent) => void) | undefined,
  ): Promise<TurnResult | undefined> {
    const { request, lease, abort, stop, started, log } = attempt;
    const key = request.key;
    const perMinute = deps.tenantPolicy?.(key.tenant)?.modelRequestsPerMinute;
    if (!deps.modelRate || perMinute === undefined) return undefined;
    try {
      const slot = await deps.modelRate.take(key.tenant, perMinute, {
        signal: AbortSignal.any([abort.signal, stop]),
        onWait: (wait) => emit?.({ type: 'model_wait', waitMs: wait.waitMs }),
      });
      if (slot.waitedMs > 0) log.info('turn waited for model capacity', { waited_ms: slot.waitedMs });
      return undefined;
    } catch (err) {
      // Nothing is written under this lease: a live process stays current.
      pool?.carry(key, lease.token);
      if (err instanceof ModelRateLimitedError)
        log.warn('turn refused: no model capacity', { error: err.message });
      if (!stop.aborted && !abort.signal.aborted) throw err;
      const mapped = await deps.storage.conversations.get(key);
      const ctx = {
        sessionId: mapped?.sessionId ?? '',
        costBefore: 0,
        loadFailure: undefined,
        aborted: abort.signal.reason,
        durationMs: clock.now() - started,
      };
      return stop.aborted
        ? failure(ctx, 'turn_stopped', '[agent] the turn was stopped by request')
        : failure(ctx, 'turn_aborted', `[agent] the turn was stopped: ${errorMessage(abort.signal.reason)}`);
    }
  }

  /**
   * The turn's state for the model-rate hook (its tool calls' follow-up requests): registered by
   * session id while the turn runs. `stop` is what interrupts the turn: a stop request, or no
   * model capacity within the maximum wait (`limited()` then says so).
   */
  function beginRateTurn(
    sessionId: string,
    tenant: TenantId,
    abort: AbortController,
    stop: AbortSignal,
    emit: ((event: TurnEvent) => void) | undefined,
  ): { stop: AbortSignal; limited: () => ModelRateLimitedError | undefined; end: () => void } {
    if (!rateGate) return { stop, limited: () => undefined, end: () => undefined };
    const ended = new AbortController();
    let limited: ModelRateLimitedError | undefined;
    const end = rateGate.begin(sessionId, {
      tenant,
      perMinute: () => deps.tenantPolicy?.(tenant)?.modelRequestsPerMinute,
      signal: AbortSignal.any([abort.signal, stop]),
      onWait: (wait) => emit?.({ type: 'model_wait', waitMs: wait.waitMs }),
      onLimited: (err) => {
        limited = err;
        ended.abort(err);
      },
    });
    return { stop: AbortSignal.any([stop, ended.signal]), limited: () => limited, end };
  }

  /**
   * The approval request a turn ended on: the call the gate deferred, once the SDK confirms the turn
   * ended on it (`terminal_reason: 'tool_deferred'`). Stored before the turn is recorded, so any
   * container can take the decision.
   */
  async function recordDeferred(
    request: TurnRequest,
    approvals: TurnApprovals,
    agent: TenantAgent,
    turn: CollectedTurn,
    sessionId: SessionId,
    log: Logger,
  ): Promise<ApprovalRecord | undefined> {
    const deferred = approvals.gate.deferred;
    const settings = agent.profile.approvals;
    if (turn.result?.terminalReason !== 'tool_deferred') return undefined;
    if (!deferred || !settings) {
      log.error('the turn ended on a deferred call the approval gate did not defer', {
        deferred: turn.result.deferredToolUse?.name,
      });
      return undefined;
    }
    const record = await approvalFlow.recordDeferred({
      key: request.key,
      sessionId,
      deferred,
      settings,
      requestedBy: request.approval?.by ?? request.requestedBy ?? request.userId,
      now: clock.now(),
    });
    log.info('turn waits for an approval', { approval: record.id, tool: record.tool });
    return record;
  }

  /** The child's environment, the `query()` options and the live-process fingerprint of a turn. */
  function agentSetup(
    tenant: TenantId,
    agent: TenantAgent,
    model: string | undefined,
    mainAgent?: string,
  ): { env: Record<string, string>; fingerprint: string; options: AgentOptions } {
    const env = buildChildEnv({
      provider: deps.provider,
      models: deps.models,
      limits: deps.limits,
      configDir: agent.workspace.configDir,
      projectDirName: projectKeyForTenant(tenant),
      home: agent.workspace.home,
      tmpDir: agent.workspace.tmpDir,
      path: deps.path,
      // The binary refuses bypass mode as root unless told it runs in a sandbox; only ever set
      // when the operator chose bypassPermissions explicitly (logged loudly at start).
      extra: agent.profile.tools.permissionMode === 'bypassPermissions' ? { IS_SANDBOX: '1' } : undefined,
    });
    const maxTurns = deps.limits.maxTurns;
    const approvals = agent.profile.approvals;
    // Every tool call goes through the tenant's policy; `ask` defers it (approval-gate.ts). With a
    // model-request budget, each call first takes a slot for its follow-up request (model-rate/).
    const rated = rateGate && deps.tenantPolicy?.(tenant)?.modelRequestsPerMinute !== undefined;
    const preToolUse = [
      ...(rated ? (rateGate.hooks().PreToolUse ?? []) : []),
      ...(approvals ? (gate.hooks(approvals.policy).PreToolUse ?? []) : []),
    ];
    const hooks = preToolUse.length > 0 ? { PreToolUse: preToolUse } : undefined;
    return {
      env,
      fingerprint: pool
        ? processFingerprint({
            agent,
            env,
            model,
            maxTurns,
            mainAgent,
            ...(rated ? { modelRate: true } : {}),
          })
        : '',
      options: {
        ...turnOptions({
          agent,
          env,
          model,
          maxTurns,
          pathToClaudeCodeExecutable: deps.pathToClaudeCodeExecutable,
        }),
        ...(mainAgent !== undefined ? { agent: mainAgent } : {}),
        // send_file reads only inside the conversation's folder: never asked about (the tenants'
        // approvals policy allows it too, see `toolPolicy` in app/tenant-agents.ts).
        allowedTools: [...new Set([...agent.profile.tools.allowedTools, SEND_FILE_TOOL])],
        ...(hooks ? { hooks } : {}),
      },
    };
  }

  /** Has the pool start a spare process for the tenant's next new conversation (if it keeps spares). */
  function ensureSpare(tenant: TenantId, fingerprint: string, options: AgentOptions): void {
    if (!pool || !deps.spares) return;
    pool.ensureSpare(tenant, fingerprint, (signal) => {
      const sessionId = randomUUID();
      return startSpareProcess({
        tenant,
        signal,
        sessionId,
        fingerprint,
        transcripts: deps.storage.transcripts,
        options: { ...withOutbox(options, sessionId), sessionId },
        log: deps.logger.child({ component: 'agent:warm', tenant, spare: sessionId }),
      });
    });
  }

  /**
   * The options of a process running `sessionId`, with its own `omnicloud` MCP server (`send_file`;
   * a server instance serves one process). Not part of the fingerprint: the same for every process.
   */
  function withOutbox(options: AgentOptions, sessionId: string): AgentOptions {
    return {
      ...options,
      mcpServers: { ...options.mcpServers, [OMNICLOUD_MCP_SERVER]: outbox.server(sessionId) },
    };
  }

  /** The tenant's agent; a tenant that no longer resolves loses its live processes. */
  async function resolveAgent(key: ConversationKey): Promise<TenantAgent> {
    try {
      return await deps.tenants(key.tenant);
    } catch (err) {
      pool?.evictTenant(key.tenant, 'tenant');
      throw err;
    }
  }

  /**
   * Keeps the turn's live process for the next turn only if the turn is committed exactly as the
   * process saw it: a result, everything stored, not aborted, the lease never lost.
   */
  function keepOrClose(
    execution: TurnExecution,
    outcome: {
      persisted: boolean;
      aborted: boolean;
      deferred: boolean;
      mapped: number;
      settings: ConversationSettings;
      lease: Lease;
    },
  ): void {
    const { process } = execution;
    if (!process || !pool) return;
    if (outcome.deferred) {
      pool.discard(process, 'approval');
      return;
    }
    const clean =
      outcome.persisted &&
      !outcome.aborted &&
      execution.loadFailure === undefined &&
      execution.turn.sessionId === process.sessionId;
    if (clean && process.alive()) {
      process.mapTurns = outcome.mapped;
      process.settings = outcome.settings;
      pool.put(process, outcome.lease.token);
    } else {
      pool.discard(process, 'failed');
    }
  }

  /**
   * Adds a committed turn to its session's catalog entry (`/sessions`, the API, the CLI). An index:
   * a failed write is logged, never fails the turn — the next turn of the session records it again.
   */
  async function recordSession(
    key: ConversationKey,
    request: TurnRequest,
    result: TurnResult,
    log: Logger,
  ): Promise<void> {
    try {
      await deps.storage.sessions.recordTurn(key, parseSessionId(result.session_id), {
        at: clock.now(),
        title: request.approval ? '' : request.text,
        costUsd: result.cost_usd,
        model: result.model,
      });
    } catch (err) {
      log.warn('the session catalog could not record the turn', { error: errorMessage(err) });
    }
  }

  /**
   * Records the result of a turn that reached the model (a repeat then gets it back). A turn that
   * never reached the model stays `started`: a repeat finds its transcript unchanged and runs it
   * (nothing was stored or billed) — or, if it stored anything, finishes it from the transcript.
   * After a lost lease another attempt owns the request: nothing is recorded. A failed write is
   * logged, not thrown: the turn ran and is stored, and its reply should still reach the user.
   */
  async function recordOutcome(
    key: ConversationKey,
    requestId: RequestId,
    result: TurnResult,
    leaseLost: boolean,
    log: Logger,
  ): Promise<void> {
    if (leaseLost || !reachedModel(result)) return;
    try {
      await once.complete(key, requestId, result);
    } catch (err) {
      log.error('turn result could not be recorded in the turn ledger', {
        request_id: requestId,
        error: errorMessage(err),
      });
    }
  }

  return {
    runTurn,
    async prewarm(tenant: string): Promise<void> {
      if (!pool || !deps.spares) return;
      const id = parseTenantId(tenant);
      const agent = await deps.tenants(id);
      const { fingerprint, options } = agentSetup(id, agent, deps.tenantPolicy?.(id)?.model);
      ensureSpare(id, fingerprint, options);
    },
    async answered(key: ConversationKey, requestId: string): Promise<boolean> {
      return (await deps.storage.turns.get(key, parseRequestId(requestId)))?.state === 'done';
    },
    async filesDir(key: ConversationKey): Promise<string> {
      return conversationFilesDir((await resolveAgent(key)).workspace.cwd, key);
    },
    async markDelivered(key: ConversationKey, requestId: string): Promise<void> {
      await once.markDelivered(key, parseRequestId(requestId));
    },
    async resetConversation(key: ConversationKey): Promise<{ cancelledApproval?: ApprovalId }> {
      pool?.evict(key, 'reset');
      const lease = await deps.storage.leases.acquire(key, { ttlMs: leaseTtlMs, waitMs: leaseWaitMs });
      try {
        const removed = await deps.storage.conversations.remove(key);
        const cancelled = await approvalFlow.cancelPending(key, removed, undefined, clock.now());
        return cancelled ? { cancelledApproval: cancelled } : {};
      } finally {
        await deps.storage.leases.release(lease);
      }
    },
  };
}

/**
 * The validated request ids of the messages merged into a turn. Members are recorded in the turn
 * ledger only with the turn's own `requestId`; a member id equal to it is refused.
 */
function mergedRequestIds(request: TurnRequest, requestId: RequestId | undefined): RequestId[] {
  const ids = (request.merged ?? []).flatMap((m) =>
    m.requestId === undefined ? [] : [parseRequestId(m.requestId)],
  );
  if (ids.length > 0 && requestId === undefined) {
    throw new OmniError('invalid_request', "merged messages with request ids need the turn's own requestId", {
      status: 400,
    });
  }
  if (new Set([requestId, ...ids]).size !== ids.length + 1) {
    throw new OmniError('invalid_request', 'merged messages must have distinct request ids', { status: 400 });
  }
  return ids;
}

/** The user's message(s) of a turn, in order: its own, then the merged ones, each with its files and context. */
function userParts(request: TurnRequest): [MessagePart, ...MessagePart[]] {
  type Source = Pick<TurnRequest, 'text' | 'messageTime' | 'attachments' | 'sender' | 'quote'>;
  const part = (m: Source): MessagePart => ({
    text: m.text,
    messageTime: m.messageTime,
    ...(m.sender ? { sender: m.sender } : {}),
    ...(m.quote ? { quote: m.quote } : {}),
    ...(m.attachments && m.attachments.length > 0 ? { attachments: m.attachments } : {}),
  });
  return [part(request), ...(request.merged ?? []).map(part)];
}

/** The turn's user message; a file it shows that cannot be read fails the turn (nothing ran). */
async function userMessageOf(parts: [MessagePart, ...MessagePart[]], dir: string): Promise<SDKUserMessage> {
  try {
    return await buildUserMessage(parts, dir);
  } catch (err) {
    const message = `[agent:files] a file sent with the message cannot be read: ${errorMessage(err)}`;
    throw new FilesUnavailableError(message, { cause: err });
  }
}

/** A turn's result with the files the agent sent (`send_file`), if any. */
function withFiles(result: TurnResult, sent: readonly SentFile[]): TurnResult {
  return sent.length > 0 ? { ...result, files: [...sent] } : result;
}

/**
 * A turn's result with its approvals: the request it resolved, and the one it ended on (then the
 * answer is what the agent wrote before the call, as streamed).
 */
function withApprovals(
  result: TurnResult,
  input: { approvals: TurnApprovals; deferred: ApprovalRecord | undefined; streamed: string },
): TurnResult {
  const out: TurnResult = { ...result };
  if (input.approvals.resolved) out.resolved_approval = input.approvals.resolved;
  if (input.deferred) {
    out.pending_approval = pendingApproval(input.deferred);
    if (!out.is_error && out.response === '') out.response = input.streamed;
  }
  return out;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise's outcome as a value, so one failure does not leave its siblings unhandled. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function unwrap<T>(settled: Settled<T>): T {
  if (!settled.ok) throw settled.error;
  return settled.value;
}

/**
 * A turn that ended because its tenant's model-request budget had no slot within the maximum wait
 * (the hook stopped it before a tool call's follow-up request): an error result that names
 * `model_rate_limited`, with what was answered until then. Its `error_code` is `model_api_error`:
 * a code of its own must also get its words in telegram/worker/error-text.ts (not done here).
 */
function rateLimited(limited: ModelRateLimitedError | undefined, result: TurnResult): TurnResult {
  if (!limited) return result;
  return {
    ...result,
    is_error: true,
    error_code: 'model_api_error',
    error_message: `${limited.message} (${limited.code})`,
  };
}

interface ResultContext {
  sessionId: string;
  costBefore: number;
  loadFailure: Error | undefined;
  aborted: unknown;
  /** A stop was requested during the turn (`/stop`): an error result then means `turn_stopped`. */
  stopped?: boolean;
  /** The main agent's text streamed before the turn ended (what a stopped turn had answered). */
  partialText?: string;
  durationMs: number;
}

function failure(ctx: ResultContext, code: TurnErrorCode, message: string, turn?: CollectedTurn): TurnResult {
  return {
    response: '',
    session_id: ctx.sessionId,
    cost_usd: turn?.result ? Math.max(0, turn.result.totalCostUsd - ctx.costBefore) : 0,
    num_turns: turn?.result?.numTurns ?? 0,
    is_error: true,
    error_message: message,
    error_code: code,
    usage: turn?.result?.usage ?? EMPTY_USAGE,
    model: turn?.model ?? null,
    duration_ms: ctx.durationMs,
  };
}

/** Map what the SDK produced to the original's result contract (plus usage and a stable error code). */
export function toTurnResult(turn: CollectedTurn, ctx: ResultContext): TurnResult {
  if (ctx.loadFailure) {
    const failed = ctx.loadFailure instanceof OmniError ? ctx.loadFailure.code : '';
    const code = isTurnErrorCode(failed) ? failed : 'session_history_unavailable';
    return failure(ctx, code, ctx.loadFailure.message);
  }
  if (ctx.stopped === true && (turn.result === null || turn.result.isError)) {
    // The answer so far is what the user saw streaming; the transcript keeps it for the next turn.
    return {
      ...failure(ctx, 'turn_stopped', '[agent] the turn was stopped by request', turn),
      response: (ctx.partialText ?? '') || turn.lastAssistantText,
    };
  }
  if (ctx.aborted !== undefined && (turn.result === null || turn.result.isError)) {
    return failure(ctx, 'turn_aborted', `[agent] the turn was stopped: ${errorMessage(ctx.aborted)}`, turn);
  }
  if (turn.result === null) {
    const detail = turn.thrown === undefined ? 'no result' : errorMessage(turn.thrown);
    return failure(ctx, 'agent_failed', `[agent] the agent process failed: ${detail}`, turn);
  }
  if (turn.mirrorErrors.length > 0) {
    const first = turn.mirrorErrors[0];
    return failure(
      ctx,
      'history_not_persisted',
      `[agent] this turn could not be saved to the session store (${first?.error ?? 'unknown error'}); ` +
        'it will be missing from the conversation history',
      turn,
    );
  }
  const r = turn.result;
  if (r.isError) {
    const code =
      r.terminalReason === 'api_error' || r.apiErrorStatus
        ? 'model_api_error'
        : (`agent_${r.subtype}` as const);
    const detail = r.errors.join('; ') || turn.lastAssistantText || r.subtype;
    return failure(ctx, code, `[agent] ${detail}`, turn);
  }
  return {
    response: r.text,
    session_id: ctx.sessionId,
    cost_usd: Math.max(0, r.totalCostUsd - ctx.costBefore),
    num_turns: r.numTurns,
    is_error: false,
    error_message: null,
    error_code: null,
    usage: r.usage,
    model: turn.model,
    duration_ms: ctx.durationMs,
  };
}
