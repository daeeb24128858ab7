/**
 * Types of the offline model server: what a recorded Anthropic Messages request looks like, and
 * what a handler may answer. Request bodies come from the `claude` binary and are narrowed loosely
 * (unknown fields are kept), so tests can assert on anything the model was shown.
 */

/** One content block as sent by the client. Narrow with the guards in `transcript-view.ts`. */
export interface ContentBlock {
  type: string;
  [key: string]: unknown;
}

/** One message of the conversation. The binary also sends `role: 'system'` messages (environment, skill and agent listings). */
export interface Message {
  role: string;
  content: string | ContentBlock[];
}

/** One tool definition offered to the model. `defer_loading` tools must be loaded through `ToolSearch` first. */
export interface ToolDefinition {
  name: string;
  defer_loading?: boolean;
  [key: string]: unknown;
}

/** The parsed JSON body of `POST /v1/messages` (or of a Bedrock invoke; then `model` comes from the URL). */
export interface MessagesRequestBody {
  model?: string;
  messages: Message[];
  system?: string | ContentBlock[];
  tools?: ToolDefinition[];
  stream?: boolean;
  max_tokens?: number;
  [key: string]: unknown;
}

/** One request the server received, recorded for assertions. Secret headers are masked. */
export interface RecordedRequest {
  /** 0-based position among the requests this server received. */
  index: number;
  method: string;
  /** Path including the query string, e.g. `/v1/messages?beta=true`. */
  path: string;
  /** Lower-cased header names; `x-api-key`, `authorization` and tokens are masked. */
  headers: Record<string, string>;
  body: MessagesRequestBody;
  /** The model id the client asked for (body `model`, or the URL-decoded id for Bedrock). */
  model: string;
  /** Whether the client asked for a streamed reply. */
  stream: boolean;
  /** Length of the raw request body in characters (the basis of the reported input tokens). */
  bodyChars: number;
}

/** Token usage the server reports; `total_cost_usd` in the SDK is computed from these. */
export interface ReplyUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** A plain text answer (`stop_reason: end_turn`). */
export interface TextReply {
  kind: 'text';
  text: string;
  /**
   * Stream the text as exactly these `text_delta` events (they must join to `text`), each written
   * after the server's token interval (`tokenMs`), like a model producing tokens. Without it the
   * text is sent at once in 48-character deltas. A non-streaming request gets `text` at once.
   */
  deltas?: string[];
  usage?: Partial<ReplyUsage>;
}

/** A tool call (`stop_reason: tool_use`), optionally preceded by a text block. */
export interface ToolUseReply {
  kind: 'tool_use';
  name: string;
  input: Record<string, unknown>;
  text?: string;
  /** Tool-use id; a unique one is generated when omitted. */
  id?: string;
  usage?: Partial<ReplyUsage>;
}

/** An HTTP error with an Anthropic-style body `{type:'error', error:{type, message}}`. */
export interface ErrorReply {
  kind: 'error';
  status: number;
  /** Anthropic error type; derived from the status when omitted (`529` → `overloaded_error`). */
  errorType?: string;
  message?: string;
  /** Sent as the `retry-after` header. */
  retryAfterSeconds?: number;
}

/** The connection is destroyed mid-reply (after `partialText` was streamed, for streaming requests). */
export interface DropReply {
  kind: 'drop';
  partialText?: string;
}

/** Wait `ms` (or until the client disconnects), then answer with `reply`. */
export interface DelayReply {
  kind: 'delay';
  ms: number;
  reply: ModelReply;
}

export type ModelReply = TextReply | ToolUseReply | ErrorReply | DropReply | DelayReply;

/** A reply that is actually sent (delays resolved). */
export type FinalReply = Exclude<ModelReply, DelayReply>;

/** What a handler gets besides the request. */
export interface HandlerContext {
  /** Same as `request.index`. */
  index: number;
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
}

/** Decides the model's answer to one request. The default is the offline demo model. */
export type ModelHandler = (
  request: RecordedRequest,
  ctx: HandlerContext,
) => ModelReply | Promise<ModelReply>;
