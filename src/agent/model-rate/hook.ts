import type { HookCallback, HookCallbackMatcher, HookJSONOutput } from '@anthropic-ai/claude-agent-sdk';
import { errorMessage } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { ModelRateLimitedError } from './errors.js';
import type { ModelRateLimiter, ModelRateWait } from './limiter.js';

/** The running turn of a session, as the hook sees it. */
export interface RateTurn {
  tenant: TenantId;
  /** The tenant's budget now (the tenants file may change between turns); undefined = none. */
  perMinute: () => number | undefined;
  /** Ends a wait: the turn's abort (timeout, caller) and its stop request. */
  signal: AbortSignal;
  onWait?: (wait: ModelRateWait) => void;
  /** No slot within the maximum wait: the turn must end (the runner interrupts it). */
  onLimited: (err: ModelRateLimitedError) => void;
}

/**
 * The model-request budget inside a turn. The binary makes the HTTP calls, so the runner cannot
 * count them one by one; but every tool call ends in another model request (its result goes back
 * to the model), so a `PreToolUse` hook takes one slot per call, waiting while the window is full —
 * a hook that awaits holds the binary until it returns. Subagents' calls count too (they are model
 * requests of the subagent). Several calls in one model message take one slot each although they
 * end in one request: conservative. The turn's first request is counted by the runner before the
 * turn starts.
 *
 * Hooks are fixed when a process starts and a live process serves many turns: the hook finds the
 * running turn by session id (`begin`), like the approval gate.
 */
export interface ModelRateGate {
  /** `Options.hooks` entries for a process of a tenant with a budget. */
  hooks(): Partial<Record<'PreToolUse', HookCallbackMatcher[]>>;
  /** Registers the turn now running in `sessionId`; the returned function ends it. */
  begin(sessionId: string, turn: RateTurn): () => void;
}

export function createModelRateGate(limiter: ModelRateLimiter, logger: Logger): ModelRateGate {
  const turns = new Map<string, RateTurn>();
  // The binary's own timeout for a hook (seconds): longer than the longest wait, or it would give up first.
  const timeout = Math.ceil(limiter.maxWaitMs / 1000) + 60;

  async function gate(
    input: Parameters<HookCallback>[0],
    options: Parameters<HookCallback>[2],
  ): Promise<HookJSONOutput> {
    if (input.hook_event_name !== 'PreToolUse') return {};
    const turn = turns.get(input.session_id);
    const perMinute = turn?.perMinute();
    if (!turn || perMinute === undefined) return {};
    try {
      await limiter.take(turn.tenant, perMinute, {
        signal: AbortSignal.any([options.signal, turn.signal]),
        ...(turn.onWait ? { onWait: turn.onWait } : {}),
      });
      return {};
    } catch (err) {
      if (err instanceof ModelRateLimitedError) {
        turn.onLimited(err);
        // `continue: false` stops the binary after this hook: no further model request.
        return {
          ...deny(`Not run: ${err.message}. The turn ends here.`),
          continue: false,
          stopReason: err.message,
        };
      }
      // Stopped or aborted while waiting: the turn is ending; the call must not run.
      logger.debug('model request budget: a wait ended early', { error: errorMessage(err) });
      return deny('Not run: the turn was stopped while it waited for model capacity.');
    }
  }

  return {
    hooks() {
      const hook: HookCallback = (input, _toolUseId, options) => gate(input, options);
      return { PreToolUse: [{ hooks: [hook], timeout }] };
    },
    begin(sessionId, turn) {
      turns.set(sessionId, turn);
      return () => {
        if (turns.get(sessionId) === turn) turns.delete(sessionId);
      };
    },
  };
}

function deny(reason: string): HookJSONOutput {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: reason,
    },
  };
}
