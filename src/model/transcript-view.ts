import { isRecord } from '../core/guards.js';
import { isInjectedText } from '../sessions/injected-text.js';
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

/** Text the binary or the runner injected into a user message rather than the human typing it. */
export { isInjectedText };

/** A user message that carries tool results (its text blocks belong to the tool, not the human). */
export function isToolResultMessage(message: Message): boolean {
  return message.role === 'user' && blocksOf(message).some((b) => b.type === 'tool_result');
}

/**
 * After a tool call is interrupted (`Query.interrupt()`, `/stop`), the binary sends the next prompt
 * in the tool-result message: the tool_result, this marker, then the user's text blocks.
 */
const TOOL_INTERRUPTED = '[Request interrupted by user for tool use]';

/** The blocks a person sent in a message (none for a tool result, unless a prompt follows an interrupted call). */
function humanBlocks(message: Message): ContentBlock[] {
  if (message.role !== 'user') return [];
  const blocks = blocksOf(message);
  if (!isToolResultMessage(message)) return blocks;
  // A tool result's blocks belong to the tool, except a prompt that follows an interrupted call.
  const marker = blocks.findIndex((b) => isTextBlock(b) && b.text.trimStart().startsWith(TOOL_INTERRUPTED));
  return marker === -1 ? [] : blocks.slice(marker + 1);
}

/** The human-typed text of a message, or `undefined` if it has none. */
export function humanText(message: Message): string | undefined {
  const texts = humanBlocks(message)
    .filter(isTextBlock)
    .map((b) => b.text)
    .filter((t) => !isInjectedText(t) && t.trim() !== '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** What a person attached to a message: image and document blocks, and the runner's file notes. */
export interface Attachments {
  images: number;
  /** Document blocks by media type (`application/pdf` → PDFs). */
  documents: { pdf: number; other: number };
  /** `path` of every `<attachment …/>` note, in order (entities decoded). */
  paths: string[];
}

const NOTE_RE = /^\s*<attachment\s[^>]*?\bpath="([^"]*)"[^>]*\/>\s*$/;

/** The attachments of a message (`undefined` if it has none). */
export function attachmentsOf(message: Message): Attachments | undefined {
  const blocks = humanBlocks(message);
  const found: Attachments = { images: 0, documents: { pdf: 0, other: 0 }, paths: [] };
  for (const block of blocks) {
    if (block.type === 'image') found.images++;
    else if (block.type === 'document') {
      const source = block['source'];
      const pdf = isRecord(source) && source['media_type'] === 'application/pdf';
      found.documents[pdf ? 'pdf' : 'other']++;
    } else if (isTextBlock(block)) {
      const path = NOTE_RE.exec(block.text)?.[1];
      if (path !== undefined) found.paths.push(decodeEntities(path));
    }
  }
  const any = found.images + found.documents.pdf + found.documents.other + found.paths.length > 0;
  return any ? found : undefined;
}

/** XML entities as the runner writes them in a note (`&amp;`, `&lt;`, `&#xA;`, …). */
export function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return named[ref] ?? whole;
  });
}

/** Index (into `body.messages`) of the last message a person sent: with text or attachments; -1 if none. */
export function lastHumanIndex(request: HasBody): number {
  const messages = request.body.messages;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message && (humanText(message) !== undefined || attachmentsOf(message) !== undefined)) return i;
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
