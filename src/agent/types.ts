import type { ApprovalAnswer, ApprovalId, ApprovalResolution, PendingApproval } from '../approvals/types.js';
import type { ConversationKey } from '../core/keys.js';
import type { SentFile, StoredFile } from '../files/types.js';

/**
 * Every `error_code` a turn can end with (`TurnResult.error_code`). Where each comes from:
 * - `session_history_unavailable`: the conversation's history could not be loaded (verified store);
 * - `turn_aborted`: the turn was stopped (time budget, shutdown);
 * - `agent_failed`: the agent process ended without a result;
 * - `history_not_persisted`: the turn ran but its transcript did not reach the session store;
 * - `model_api_error`: the model API refused or failed;
 * - `agent_<subtype>`: the SDK's error result (`error_max_turns`, `error_during_execution`, …);
 * - `budget_exceeded`: refused by a budget before running (`budget.ts`);
 * - `turn_interrupted`: a repeat of a stored turn whose reply cannot be read back (`turn-ledger.ts`);
 * - `turn_stopped`: a user asked to stop the turn (`/stop`, the Stop button, the API's stop route);
 *   `response` holds what the agent had answered until then.
 * - `approval_unavailable`: a decision (`TurnRequest.approval`) for a request that is unknown, of
 *   another conversation, no longer pending (decided, expired, cancelled) or no longer the
 *   conversation's current one; nothing ran. `error_message` says which.
 * - `files_unavailable`: the conversation's files (attachments, earlier files) could not be brought
 *   into this machine's workspace before the turn; nothing ran. Thrown as `FilesUnavailableError`
 *   (503, so a queue tries the message again), never run without the files the agent is told of.
 * Adding one is a compile error wherever codes are turned into words until it is handled there.
 */
export const TURN_ERROR_CODES = [
  'session_history_unavailable',
  'turn_aborted',
  'agent_failed',
  'history_not_persisted',
  'model_api_error',
  'agent_success',
  'agent_error_during_execution',
  'agent_error_max_turns',
  'agent_error_max_budget_usd',
  'agent_error_max_structured_output_retries',
  'budget_exceeded',
  'turn_interrupted',
  'turn_stopped',
  'approval_unavailable',
  'files_unavailable',
] as const;

export type TurnErrorCode = (typeof TURN_ERROR_CODES)[number];

export function isTurnErrorCode(code: string): code is TurnErrorCode {
  return (TURN_ERROR_CODES as readonly string[]).includes(code);
}

/**
 * Who wrote a message: a person (display name, user id, `@username` without the `@`), or a chat
 * posting as itself (a channel, a group's anonymous admins: its title and chat id). Names are
 * whatever the author chose: untrusted text.
 */
export interface MessageAuthor {
  name: string;
  /** The front end's id of the author (Telegram user or chat id, as text). */
  id: string;
  username?: string;
}

/** What a message replies to: the quoted fragment or the replied message's text, and its author. */
export interface QuotedMessage {
  /** The quoted text (possibly cut short, ending in `…`); empty when the replied message had none. */
  text: string;
  /** Its author; absent when unknown or when it is the assistant's own message. */
  from?: MessageAuthor;
  /** The replied message is the assistant's own (the bot's answer). */
  fromAssistant: boolean;
}

/**
 * What the agent is told about a message besides its time and text (issue 17): who sent it, in a
 * shared chat, and what it replies to. Rendered before the text by `contextBlock`
 * (`message-context.ts`); a message without either reaches the agent as it did before.
 */
export interface MessageContext {
  /** The sender; set by front ends where several people talk to the agent (Telegram groups). */
  sender?: MessageAuthor;
  /** The message it replies to, if any. */
  quote?: QuotedMessage;
}

/** One user message for a conversation. */
export interface TurnRequest extends MessageContext {
  key: ConversationKey;
  text: string;
  /** When the user sent it (Telegram `date`, API `message_time`); passed to the agent. */
  messageTime?: Date;
  /** Model alias or id override for this turn (`haiku`, `sonnet`, `opus`, or a full id). */
  model?: string;
  /**
   * A configured agent (the tenant's agents.json) to answer this turn as the main thread (the SDK's
   * `agent` option: its prompt, tools and model). Unknown names are refused (`unknown_agent`, 400).
   */
  agent?: string;
  /** Who sent it (Telegram user id), for usage accounting and logs. */
  userId?: string;
  /** Aborts the turn (worker time budget, shutdown). */
  signal?: AbortSignal;
  /**
   * Stable id of the user message (`tg:<update_id>`, `api:<request_id>`; `[A-Za-z0-9:_-]{1,128}`).
   * With it the turn runs at most once per conversation: a repeat (queue re-delivery, client retry)
   * gets the recorded result back (`replayed`) instead of running the turn again. Without it, every
   * call runs a turn.
   */
  requestId?: string;
  /**
   * Delivers the result to the user while the runner still holds the conversation's lease, so a
   * concurrent re-delivery of the same message waits until the reply is out and recorded. Resolve
   * `true` once it reached the user (the runner then marks it delivered in the turn ledger). Not
   * called when an earlier attempt already delivered this request's result. Throwing
   * `DeliveryDeferredError` (the reply outbox) leaves it recorded and not delivered: the runner
   * releases the lease and rethrows it, and a repeat of the request delivers it then.
   */
  deliver?: (result: TurnResult) => Promise<boolean>;
  /**
   * Later messages of the conversation merged into this turn (they arrived while it was busy), in
   * order. Each reaches the agent verbatim as its own text block after `text`. With `requestId`,
   * each member's own id is recorded as answered by this turn: a re-delivery of a member then runs
   * nothing (unless this turn is run again without it).
   */
  merged?: MergedMessage[];
  /**
   * Live progress of the turn as it runs (streamed text, tool calls), for a live reply. Called
   * synchronously in order; a listener that throws is logged and detached, never fails the turn.
   * Not called for a repeat answered from the turn ledger.
   */
  onEvent?: (event: TurnEvent) => void;
  /**
   * Continue the conversation's deferred tool call with a person's decision instead of a new
   * message (`text` is then ignored): the session is resumed and the call runs (allow) or is
   * refused and the agent told so (deny). Checked under the lease against the stored request.
   */
  approval?: ApprovalAnswer;
  /**
   * Who is asking, as an approval request made by this turn records it (`requested_by`), when it
   * is not a `userId` (an API principal such as `token:ops`). Default: `userId`.
   */
  requestedBy?: string;
  /**
   * Files sent with the message, already stored (`ingestFile` into `filesDir(key)` and the store).
   * Images reach the model as image blocks, PDFs as document blocks plus their path, everything
   * else as its path in the conversation's folder. In the order sent.
   */
  attachments?: StoredFile[];
}

/**
 * What happens during a turn, as it happens. The contract between the runner and live replies
 * (Telegram, SSE, the terminal chat):
 * - `turn_started` once the turn holds the conversation (before the agent is asked); `turn` is the
 *   id a stop request may name (`LeaseManager.requestStop`), e.g. in a Stop button;
 * - `text`: the main agent's answer as it is generated; the deltas of a turn concatenate to the
 *   streamed text (text blocks after the first are preceded by a blank line). Subagents' text is
 *   not streamed (their tool calls are);
 * - `tool_start` / `tool_end`: one tool call (`id` = the model's tool_use id). `parentId` is the
 *   subagent call it runs in (`null` for the main agent); `subagent` names the agent type when the
 *   call starts a subagent. `summary` is a short one-line rendering of the input (no secrets beyond
 *   what the model wrote, at most 200 characters);
 * - `tool_progress`: a long tool call is still running (`elapsedS` since it started).
 */
export type TurnEvent =
  | { type: 'turn_started'; turn: number }
  | { type: 'text'; delta: string }
  | {
      type: 'tool_start';
      id: string;
      name: string;
      summary: string;
      parentId: string | null;
      subagent?: string;
    }
  | { type: 'tool_end'; id: string; isError: boolean }
  | { type: 'tool_progress'; id: string; name: string; elapsedS: number }
  /**
   * The tenant's model-request budget is used up for now (`model-rate/`): the turn waits `waitMs`
   * before its next model request is tried again.
   */
  | { type: 'model_wait'; waitMs: number };

/** A message merged into another message's turn (`TurnRequest.merged`), with its own context. */
export interface MergedMessage extends MessageContext {
  text: string;
  messageTime?: Date;
  /** The member's own request id (same format as `TurnRequest.requestId`). */
  requestId?: string;
  /** Files sent with this member (as `TurnRequest.attachments`). */
  attachments?: StoredFile[];
}

/** Token usage of a turn as reported by the model API. */
export interface TurnUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** The original's response contract, plus usage and timing. */
export interface TurnResult {
  response: string;
  session_id: string;
  cost_usd: number;
  num_turns: number;
  is_error: boolean;
  error_message: string | null;
  /** Stable code when `is_error` (`TURN_ERROR_CODES` says where each comes from). */
  error_code: TurnErrorCode | null;
  usage: TurnUsage;
  model: string | null;
  duration_ms: number;
  /**
   * Set when the turn was not run by this call (same `requestId` as an earlier call): `done` — the
   * recorded result of the earlier run; `recovered` — an earlier attempt died after its turn was
   * stored, and the reply was read back from the transcript (or, if it cannot be, `is_error` with
   * `error_code` `turn_interrupted`). Absent for a turn run now.
   */
  replayed?: 'done' | 'recovered';
  /** Only with `requestId`: whether the result reached the user (by an earlier attempt or `deliver`). */
  delivered?: boolean;
  /**
   * The turn ended waiting for a person to approve a tool call (not an error): show the request
   * with its three choices; a decision continues the turn (`TurnRequest.approval`).
   */
  pending_approval?: PendingApproval;
  /**
   * An approval request this turn resolved: by the decision it carried, or as `superseded` /
   * `expired` when a new message came while it was pending. Front ends update its notice.
   */
  resolved_approval?: { id: ApprovalId; status: ApprovalResolution; by?: string };
  /**
   * Files the agent sent during the turn (`send_file`), stored durably as `out` files, in order.
   * Front ends deliver them with the answer (Telegram: photos and documents; API: download links).
   */
  files?: SentFile[];
}

/**
 * Runs conversation turns on the Claude Agent SDK: maps the conversation to its session, resumes it
 * through the session store, holds the single-writer lease for the turn.
 */
export interface AgentRunner {
  runTurn(request: TurnRequest): Promise<TurnResult>;
  /**
   * `/new`: forget the conversation's session so the next turn starts fresh (history is kept in
   * the store). A pending approval request is cancelled; it is returned so its notice can be updated.
   */
  resetConversation(key: ConversationKey): Promise<{ cancelledApproval?: ApprovalId } | void>;
  /** Record that the result of `requestId` reached the user (a later re-delivery then sends nothing). */
  markDelivered?(key: ConversationKey, requestId: string): Promise<void>;
  /**
   * Start a process ahead for the tenant's next new conversation, where the runner keeps spares
   * (long-running hosts). Resolves once it is being started; never needed for correctness.
   */
  prewarm?(tenant: string): Promise<void>;
  /**
   * The conversation's files folder on this machine (`<tenant cwd>/files/<chat>/<thread>`): front
   * ends ingest attachments there before the turn, so the agent finds them where it is told.
   */
  filesDir?(key: ConversationKey): Promise<string>;
  /**
   * Whether `requestId`'s turn is recorded as done in the turn ledger: a repeat is then answered
   * from the ledger without running, so a front end need not receive its files again.
   */
  answered?(key: ConversationKey, requestId: string): Promise<boolean>;
}
