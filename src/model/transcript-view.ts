import { isRecord } from '../core/guards.js';
import type { ContentBlock, Message, RecordedRequest } from './types.js';

/**
 * Read "what the model was shown" out of a request: the human-typed texts, the tools, the system
 * prompt. The `claude` binary injects extra blocks into user messages (`<system-reminder>` blocks,
 * a skill's body after a `Skill` call, "Tool loaded." after `ToolSearch`) and sends environment,
 * skill and agent listings as `role: 'system'` messages; none of those count as human text.
 */

export interface TextBlock extends ContentBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock extends ContentBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlock extends ContentBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: unknown;
  is_error?: boolean;
}

/** Anything with a request body: a `RecordedRequest` or a hand-made fixture. */
export type HasBody = Pick<RecordedRequest, 'body'>;

export function isTextBlock(block: ContentBlock): block is TextBlock {
  return block.type === 'text' && typeof block['text'] === 'string';
}

export function isToolUseBlock(block: ContentBlock): block is ToolUseBlock {
  return (
    block.type === 'tool_use' &&
    typeof block['id'] === 'string' &&
    typeof block['name'] === 'string' &&
    isRecord(block['input'])
  );
}

export function isToolResultBlock(block: ContentBlock): block is ToolResultBlock {
  return block.type === 'tool_result' && typeof block['tool_use_id'] === 'string';
}

export { isRecord };

/** A message's content as blocks (a string content becomes one text block). */
export function blocksOf(message: Message): ContentBlock[] {
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

const INJECTED_PREFIXES = [
  '<system-reminder>',
  'Base directory for this skill:',
  '[Request interrupted',
  '<command-name>',
  '<command-message>',
  '<local-command-stdout>',
  'Caveat: The messages below',
  // The runner's own context block (when the user sent the message), not typed by the user.
  '<message_time>',
];

/** Text the binary injected into a user message rather than the human typing it. */
export function isInjectedText(text: string): boolean {
  const trimmed = text.trimStart();
  return INJECTED_PREFIXES.some((prefix) => trimmed.startsWith(prefix));
}

/** A user message that carries tool results (its text blocks belong to the tool, not the human). */
export function isToolResultMessage(message: Message): boolean {
  return message.role === 'user' && blocksOf(message).some((b) => b.type === 'tool_result');
}

/**
 * After a tool call is interrupted (`Query.interrupt()`, `/stop`), the binary sends the next prompt
 * in the tool-result message: the tool_result, this marker, then the user's text blocks.
 */
const TOOL_INTERRUPTED = '[Request interrupted by user for tool use]';

/** The human-typed text of a message, or `undefined` if it has none. */
export function humanText(message: Message): string | undefined {
  if (message.role !== 'user') return undefined;
  let blocks = blocksOf(message);
  if (isToolResultMessage(message)) {
    // A tool result's text belongs to the tool, except a prompt that follows an interrupted call.
    const marker = blocks.findIndex((b) => isTextBlock(b) && b.text.trimStart().startsWith(TOOL_INTERRUPTED));
    if (marker === -1) return undefined;
    blocks = blocks.slice(marker + 1);
  }
  const texts = blocks
    .filter(isTextBlock)
    .map((b) => b.text)
    .filter((t) => !isInjectedText(t) && t.trim() !== '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** Index (into `body.messages`) of the last message with human text, or -1. */
export function lastHumanIndex(request: HasBody): number {
  const messages = request.body.messages;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message && humanText(message) !== undefined) return i;
  }
  return -1;
}

/** The human-typed texts of the user messages, oldest first (one string per message). */
export function userTexts(request: HasBody): string[] {
  return request.body.messages.flatMap((m) => humanText(m) ?? []);
}

/** Names of the tools offered (deferred ones included; see `isDeferredTool`). */
export function toolNames(request: HasBody): string[] {
  return (request.body.tools ?? []).map((t) => t.name);
}

export function isDeferredTool(request: HasBody, name: string): boolean {
  return (request.body.tools ?? []).some((t) => t.name === name && t.defer_loading === true);
}

/** The system prompt's text blocks. */
export function systemBlocks(request: HasBody): string[] {
  const system = request.body.system;
  if (system === undefined) return [];
  if (typeof system === 'string') return [system];
  return system.filter(isTextBlock).map((b) => b.text);
}

/** The system prompt as one string (blocks joined by blank lines). */
export function systemText(request: HasBody): string {
  return systemBlocks(request).join('\n\n');
}

/** All text the binary sent as `role: 'system'` messages (environment, skill and agent listings). */
export function systemMessagesText(request: HasBody): string {
  return request.body.messages
    .filter((m) => m.role === 'system')
    .flatMap((m) => blocksOf(m).filter(isTextBlock))
    .map((b) => b.text)
    .join('\n\n');
}

/** Whether this request comes from a subagent (the binary marks it in the billing system block). */
export function isSubagentRequest(request: HasBody): boolean {
  return systemText(request).includes('cc_is_subagent=true');
}

/** The text of a tool result's content (text blocks joined; other blocks summarised in brackets). */
export function toolResultText(block: ToolResultBlock): string {
  const content = block.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((item: unknown) => {
      if (!isRecord(item)) return '';
      if (item['type'] === 'text' && typeof item['text'] === 'string') return item['text'];
      if (item['type'] === 'tool_reference') return `[tool_reference ${String(item['tool_name'])}]`;
      return `[${String(item['type'])}]`;
    })
    .join('\n');
}
