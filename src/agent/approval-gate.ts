import type { HookCallback, HookCallbackMatcher, HookJSONOutput } from '@anthropic-ai/claude-agent-sdk';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ToolCall, ToolPermissionPolicy } from '../approvals/policy.js';

/** One tool call as the hook sees it. */
export type GateCall = ToolCall;

/** What the gate needs of a tenant's tool policy: its verdict on a call, and whether a grant covers it. */
export type GatePolicy = Pick<ToolPermissionPolicy, 'evaluate' | 'granted'>;

/** The deferred call's decision a turn carries (a person decided, or a new message superseded it). */
export interface GateAnswer {
  toolUseId: string;
  allow: boolean;
  /** Told to the agent when the call is refused. */
  reason: string;
}

/** The per-turn state the hook reads and writes (one turn of one session at a time). */
export interface GateTurn {
  answer?: GateAnswer;
  /**
   * Rules granted for the session ("Allow in this conversation"): read only when a call needs
   * them (most turns ask about nothing, and pay no read).
   */
  grants: () => Promise<readonly string[]>;
  /** Set by the hook: the call it deferred in this turn (at most one per turn). */
  deferred?: { toolUseId: string; tool: string; input: Record<string, unknown> };
}

/**
 * Tool approvals without a waiting process: a `PreToolUse` hook that asks the tenant's policy about
 * every call. `allow` runs it, `deny` refuses it (the agent is told the rule), `ask` defers it — the
 * SDK then ends the turn with `terminal_reason: 'tool_deferred'` — unless the session has a grant
 * that covers it. On resume the binary asks the hook again for the deferred call first; the turn's
 * `answer` decides it then.
 *
 * Limits found with the real binary (docs/approvals.md): several deferred calls in one model step
 * keep only the last one (so only the first asking call of a turn is deferred; later ones are
 * refused with a "one at a time" reason); a call deferred inside a subagent ends the subagent
 * silently and loses the call (so subagents' asking calls are refused with a reason the main agent
 * can act on).
 *
 * Hooks are fixed when a process starts, and a live process serves many turns: the hook finds the
 * running turn's state by session id (`begin`).
 */
export interface ApprovalGate {
  /** `Options.hooks` for a process of a tenant with this policy. */
  hooks(policy: GatePolicy): Partial<Record<'PreToolUse', HookCallbackMatcher[]>>;
  /** Registers the state of the turn now running in `sessionId`; the returned function ends it. */
  begin(sessionId: string, turn: GateTurn): () => void;
}

export function createApprovalGate(logger: Logger): ApprovalGate {
  const turns = new Map<string, GateTurn>();

  async function decide(
    policy: GatePolicy,
    input: Parameters<HookCallback>[0],
    toolUseId: string,
  ): Promise<HookJSONOutput> {
    if (input.hook_event_name !== 'PreToolUse') return {};
    const call: GateCall = { tool: input.tool_name, input: asRecord(input.tool_input) };
    const turn = turns.get(input.session_id);
    if (turn?.answer && turn.answer.toolUseId === toolUseId) {
      return turn.answer.allow
        ? decision('allow', 'approved by the user')
        : decision('deny', turn.answer.reason);
    }
    const match = policy.evaluate(call);
    if (match.verdict === 'deny') {
      return decision('deny', `Refused by the tool policy (rule ${match.rule}). Do not retry this call.`);
    }
    if (match.verdict === 'allow')
      return decision('allow', `allowed by the tool policy (rule ${match.rule})`);
    if (turn && policy.granted(call, await turn.grants()))
      return decision('allow', 'allowed in this conversation');
    if (!turn) {
      // No turn registered for this session: nobody could record the request. Fail closed.
      logger.warn('approval gate: a call that needs approval outside a known turn was refused', {
        tool: call.tool,
      });
      return decision('deny', 'This call needs a person to approve it, and no approval can be asked now.');
    }
    if (input.agent_id !== undefined) {
      return decision(
        'deny',
        'This call needs a person to approve it, and a subagent cannot ask. Do not retry it here: ' +
          'finish and report that this call is needed, so the main agent can run it itself (the user will be asked).',
      );
    }
    if (turn.deferred) {
      return decision(
        'deny',
        'Not run: another call of this step is waiting for the user to approve it. ' +
          'Make this call again after that decision, one call at a time.',
      );
    }
    turn.deferred = { toolUseId, tool: call.tool, input: call.input };
    return decision('defer', 'waiting for a person to approve this call');
  }

  return {
    hooks(policy) {
      const hook: HookCallback = async (input, toolUseId) => {
        try {
          return await decide(policy, input, toolUseId ?? '');
        } catch (err) {
          // `onFailure: 'block'` refuses the call; say why in the log.
          logger.error('approval gate failed; the call is refused', { error: errorMessage(err) });
          throw err;
        }
      };
      return { PreToolUse: [{ hooks: [hook], onFailure: 'block' }] };
    },
    begin(sessionId, turn) {
      turns.set(sessionId, turn);
      return () => {
        if (turns.get(sessionId) === turn) turns.delete(sessionId);
      };
    },
  };
}

function decision(permissionDecision: 'allow' | 'deny' | 'defer', reason: string): HookJSONOutput {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision,
      permissionDecisionReason: reason,
    },
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
