import { demoModel } from './demo-model.js';
import type {
  DelayReply,
  DropReply,
  ErrorReply,
  ModelHandler,
  ModelReply,
  TextReply,
  ToolUseReply,
} from './types.js';

/** Small constructors for scripted replies, and a handler that answers from a queue. */

export const textReply = (text: string): TextReply => ({ kind: 'text', text });

export const toolUseReply = (name: string, input: Record<string, unknown>, text?: string): ToolUseReply =>
  text === undefined ? { kind: 'tool_use', name, input } : { kind: 'tool_use', name, input, text };

export const errorReply = (status: number, message?: string): ErrorReply =>
  message === undefined ? { kind: 'error', status } : { kind: 'error', status, message };

export const dropReply = (partialText?: string): DropReply =>
  partialText === undefined ? { kind: 'drop' } : { kind: 'drop', partialText };

export const delayReply = (ms: number, reply: ModelReply): DelayReply => ({ kind: 'delay', ms, reply });

/**
 * Answers request N with `script[N]` (a reply, or a handler for that one request); once the
 * script is used up, `fallback` answers (the demo model unless given).
 */
export function replyQueue(
  script: ReadonlyArray<ModelReply | ModelHandler>,
  fallback: ModelHandler = demoModel,
): ModelHandler {
  const pending = [...script];
  return (request, ctx) => {
    const next = pending.shift();
    if (next === undefined) return fallback(request, ctx);
    return typeof next === 'function' ? next(request, ctx) : next;
  };
}
