import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { isRecord } from '../../core/guards.js';
import { formatBytes } from '../../files/policy.js';
import { blocksOf, placeholderOf, resultText } from './blocks.js';
import type { Part, ToolResult, TranscriptItem } from './types.js';

const MESSAGE_TIME = /^<message_time>([^<]*)<\/message_time>$/;
const ATTACHMENT_NOTE = /^<attachment\s((?:[a-z]+="[^"]*"\s*)*)\/>$/;
const COMMAND_NAME = /<command-name>([\s\S]*?)<\/command-name>/;
const COMMAND_ARGS = /<command-args>([\s\S]*?)<\/command-args>/;
const COMMAND_OUTPUT = /^<local-command-(?:stdout|stderr)>([\s\S]*?)<\/local-command-(?:stdout|stderr)>$/;
/** Text the binary adds to a user message that the person did not write. */
const INJECTED = [
  '<system-reminder>',
  '<local-command-caveat>',
  'Caveat: The messages below',
  '[Image: source:',
];

/**
 * A user entry as items: nothing for tool results (recorded in `results` instead); the compaction
 * summary; otherwise one `user` item per message, a merged message starting a new one at each of
 * our `<message_time>` blocks.
 */
export function readUserEntry(entry: SessionStoreEntry, results: Map<string, ToolResult>): TranscriptItem[] {
  const message = isRecord(entry['message']) ? entry['message'] : {};
  const blocks = blocksOf(message['content']);
  if (entry['isCompactSummary'] === true) {
    const text = blocks.map((b) => (typeof b['text'] === 'string' ? b['text'] : '')).join('\n');
    return [{ kind: 'compact_summary', time: entry.timestamp, text }];
  }
  const toolResults = blocks.filter((b) => b['type'] === 'tool_result');
  if (toolResults.length > 0) {
    for (const block of toolResults) recordResult(block, entry, results);
    return []; // Other blocks of a tool-result message are the harness's, not the person's.
  }
  const items: TranscriptItem[] = [];
  let current: Extract<TranscriptItem, { kind: 'user' }> | undefined;
  for (const block of blocks) {
    const text = typeof block['text'] === 'string' ? block['text'] : undefined;
    const time = text === undefined ? undefined : MESSAGE_TIME.exec(text.trim())?.[1];
    if (time !== undefined) {
      current = { kind: 'user', time, parts: [] };
      items.push(current);
      continue;
    }
    if (text !== undefined && text.trimStart().startsWith('[Request interrupted')) {
      items.push({ kind: 'interrupted', time: entry.timestamp });
      current = undefined;
      continue;
    }
    const output = text === undefined ? null : COMMAND_OUTPUT.exec(text.trim());
    if (output) {
      items.push({ kind: 'command_output', time: entry.timestamp, text: (output[1] ?? '').trim() });
      current = undefined;
      continue;
    }
    const part = userPart(block, text);
    if (part === undefined) continue;
    if (!current) {
      current = { kind: 'user', time: entry.timestamp, parts: [] };
      items.push(current);
    }
    current.parts.push(part);
  }
  return items.filter((item) => item.kind !== 'user' || item.parts.length > 0);
}

function userPart(block: Record<string, unknown>, text: string | undefined): Part | undefined {
  if (text === undefined) return block['type'] === 'text' ? undefined : placeholderOf(block);
  const trimmed = text.trim();
  if (trimmed === '' || INJECTED.some((prefix) => trimmed.startsWith(prefix))) return undefined;
  const note = ATTACHMENT_NOTE.exec(trimmed);
  if (note) return attachmentPart(note[1] ?? '');
  const command = trimmed.startsWith('<command-') ? COMMAND_NAME.exec(trimmed) : null;
  if (command) {
    const args = COMMAND_ARGS.exec(trimmed)?.[1] ?? '';
    return { type: 'command', text: `${command[1] ?? ''} ${args}`.trim() };
  }
  return { type: 'text', text };
}

/** Our `<attachment name="…" kind="…" type="…" size="…" path="…" note="…"/>` (user-content.ts). */
function attachmentPart(attributes: string): Part {
  const attrs = new Map<string, string>();
  for (const [, key, value] of attributes.matchAll(/([a-z]+)="([^"]*)"/g)) {
    if (key !== undefined) attrs.set(key, unescapeAttribute(value ?? ''));
  }
  const size = Number(attrs.get('size'));
  const details = [
    attrs.get('type'),
    Number.isFinite(size) && attrs.has('size') ? formatBytes(size) : undefined,
    attrs.get('note'),
  ].filter((d): d is string => d !== undefined && d !== '');
  return { type: 'attachment', name: attrs.get('name') ?? 'file', details, path: attrs.get('path') };
}

function unescapeAttribute(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, name: string) => {
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name] ?? '';
  });
}

function recordResult(
  block: Record<string, unknown>,
  entry: SessionStoreEntry,
  results: Map<string, ToolResult>,
): void {
  const id = block['tool_use_id'];
  if (typeof id !== 'string') return;
  const extra = isRecord(entry['toolUseResult']) ? entry['toolUseResult'] : {};
  const agentId = typeof extra['agentId'] === 'string' ? extra['agentId'] : undefined;
  results.set(id, {
    text: resultText(block['content']),
    isError: block['is_error'] === true,
    ...(agentId === undefined ? {} : { agentId }),
  });
}
