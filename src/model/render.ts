import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { estimateTokens } from './request.js';
import { isRecord } from './transcript-view.js';
import type {
  DropReply,
  ErrorReply,
  FinalReply,
  HandlerContext,
  ModelHandler,
  RecordedRequest,
  ReplyUsage,
  TextReply,
  ToolUseReply,
} from './types.js';

/**
 * Turns a handler's `ModelReply` into Anthropic wire shapes: the stream events (for SSE or Bedrock
 * event-stream frames), the non-streaming JSON message, and error bodies. Transport-free.
 */

/** One Anthropic stream event (`message_start`, `content_block_delta`, …). */
export interface StreamEvent {
  type: string;
  [key: string]: unknown;
}

export interface RenderMeta {
  messageId: string;
  model: string;
  /** Characters of the request body; the reported input tokens are about a quarter of it. */
  bodyChars: number;
}

type ContentReply = TextReply | ToolUseReply;

export function newMessageId(): string {
  return `msg_offline_${randomBytes(8).toString('hex')}`;
}

function newToolUseId(): string {
  return `toolu_offline_${randomBytes(8).toString('hex')}`;
}

/** Ask the handler, wait out `delay` replies (until the client goes away), give tool calls an id. */
export async function resolveReply(
  handler: ModelHandler,
  request: RecordedRequest,
  ctx: HandlerContext,
): Promise<FinalReply> {
  let reply = await handler(request, ctx);
  while (reply.kind === 'delay') {
    await sleep(reply.ms, undefined, { signal: ctx.signal }).catch(() => undefined);
    reply = reply.reply;
  }
  if (reply.kind === 'text' && reply.deltas !== undefined && reply.deltas.join('') !== reply.text) {
    throw new Error("a text reply's deltas must join to its text");
  }
  if (reply.kind === 'tool_use' && reply.id === undefined) return { ...reply, id: newToolUseId() };
  return reply;
}

function outputChars(reply: ContentReply): number {
  const text = reply.kind === 'text' ? reply.text : (reply.text ?? '') + JSON.stringify(reply.input);
  return text.length;
}

export function replyUsage(reply: ContentReply, meta: RenderMeta): ReplyUsage {
  return {
    input_tokens: estimateTokens(meta.bodyChars),
    output_tokens: estimateTokens(outputChars(reply)),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    ...reply.usage,
  };
}

function stopReason(reply: ContentReply): string {
  return reply.kind === 'tool_use' ? 'tool_use' : 'end_turn';
}

/** The content blocks of a reply, complete (for the JSON message). */
export function contentBlocks(reply: ContentReply): Array<Record<string, unknown>> {
  if (reply.kind === 'text') return [{ type: 'text', text: reply.text }];
  const blocks: Array<Record<string, unknown>> = [];
  if (reply.text) blocks.push({ type: 'text', text: reply.text });
  blocks.push({ type: 'tool_use', id: reply.id ?? newToolUseId(), name: reply.name, input: reply.input });
  return blocks;
}

/** The non-streaming reply body. */
export function messageJson(reply: ContentReply, meta: RenderMeta): Record<string, unknown> {
  return {
    id: meta.messageId,
    type: 'message',
    role: 'assistant',
    model: meta.model,
    content: contentBlocks(reply),
    stop_reason: stopReason(reply),
    stop_sequence: null,
    usage: replyUsage(reply, meta),
  };
}

function messageStart(meta: RenderMeta, usage: ReplyUsage): StreamEvent {
  return {
    type: 'message_start',
    message: {
      id: meta.messageId,
      type: 'message',
      role: 'assistant',
      model: meta.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  };
}

/** A `text_delta` event: what a paced reply waits the token interval before. */
export function isTextDelta(event: StreamEvent): boolean {
  const delta = event['delta'];
  return event.type === 'content_block_delta' && isRecord(delta) && delta['type'] === 'text_delta';
}

/** Split text into deltas of at most `size` characters (at least one delta). */
export function chunk(text: string, size: number): string[] {
  if (text.length <= size) return [text];
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function textBlockEvents(index: number, text: string, deltas = chunk(text, 48)): StreamEvent[] {
  return [
    { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
    ...deltas.map((part) => ({
      type: 'content_block_delta',
      index,
      delta: { type: 'text_delta', text: part },
    })),
    { type: 'content_block_stop', index },
  ];
}

function toolUseBlockEvents(index: number, reply: ToolUseReply): StreamEvent[] {
  const json = JSON.stringify(reply.input);
  return [
    {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: reply.id ?? newToolUseId(), name: reply.name, input: {} },
    },
    ...chunk(json, Math.max(1, Math.ceil(json.length / 2))).map((part) => ({
      type: 'content_block_delta',
      index,
      delta: { type: 'input_json_delta', partial_json: part },
    })),
    { type: 'content_block_stop', index },
  ];
}

/** The full event sequence of a streamed reply, `message_start` … `message_stop`. */
export function streamEvents(reply: ContentReply, meta: RenderMeta): StreamEvent[] {
  const usage = replyUsage(reply, meta);
  const blocks: StreamEvent[] = [];
  if (reply.kind === 'text') blocks.push(...textBlockEvents(0, reply.text, reply.deltas));
  else {
    if (reply.text) blocks.push(...textBlockEvents(0, reply.text));
    blocks.push(...toolUseBlockEvents(reply.text ? 1 : 0, reply));
  }
  return [
    messageStart(meta, usage),
    ...blocks,
    {
      type: 'message_delta',
      delta: { stop_reason: stopReason(reply), stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
    { type: 'message_stop' },
  ];
}

/** What is streamed before the connection of a `drop` reply is destroyed. */
export function partialStreamEvents(reply: DropReply, meta: RenderMeta): StreamEvent[] {
  const usage = replyUsage({ kind: 'text', text: reply.partialText ?? '' }, meta);
  const events: StreamEvent[] = [messageStart(meta, usage)];
  if (reply.partialText) {
    events.push(
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: reply.partialText } },
    );
  }
  return events;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function errorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** Anthropic-style error body and headers. */
export function errorResponse(reply: ErrorReply): { headers: Record<string, string>; body: string } {
  const type = reply.errorType ?? errorType(reply.status);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.retryAfterSeconds);
  const body = JSON.stringify({
    type: 'error',
    error: { type, message: reply.message ?? `[offline model] scripted ${reply.status} ${type}` },
  });
  return { headers, body };
}
