import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { isRecord } from '../../core/guards.js';
import { blocksOf, placeholderOf } from './blocks.js';
import type { Part, ReadTranscript, ToolResult, TranscriptItem } from './types.js';
import { readUserEntry } from './user-entry.js';

/**
 * What a person reads in a stored transcript, pulled out of the `claude` binary's JSONL entries.
 * Measured with the real binary 2.1.332 (fixtures/): a `user` entry per prompt (content blocks, our
 * `<message_time>` block first) or per batch of tool results; an `assistant` entry per content
 * block, the entries of one API message sharing `message.id`; a `system` `compact_boundary` entry
 * followed by a user entry with `isCompactSummary`; `isMeta` user entries the harness adds (image
 * copies, command caveats); and much bookkeeping (`attachment`, `queue-operation`, `cost-state`,
 * `last-prompt`, `agent_metadata`, …) that no person needs to read.
 */

/** The items of one transcript stream, in order, and the results of its tool calls by id. */
export function readTranscript(entries: readonly SessionStoreEntry[]): ReadTranscript {
  const items: TranscriptItem[] = [];
  const results = new Map<string, ToolResult>();
  let agent: ReadTranscript['agent'];
  let open: { id: string; item: Extract<TranscriptItem, { kind: 'assistant' }> } | undefined;
  for (const entry of entries) {
    if (entry.type === 'agent_metadata') {
      agent ??= agentMetadata(entry);
    } else if (entry.type === 'system' && entry['subtype'] === 'compact_boundary') {
      items.push({ kind: 'compacted', time: entry.timestamp });
      open = undefined;
    } else if (entry.type === 'assistant') {
      const message = isRecord(entry['message']) ? entry['message'] : {};
      const id = typeof message['id'] === 'string' ? message['id'] : undefined;
      const parts = blocksOf(message['content']).flatMap(assistantPart);
      // The binary writes one entry per content block; one API message is one message to read.
      if (open && id !== undefined && open.id === id) {
        open.item.parts.push(...parts);
        continue;
      }
      const item = {
        kind: 'assistant' as const,
        time: entry.timestamp,
        model: typeof message['model'] === 'string' ? message['model'] : undefined,
        error: entry['error'] !== undefined || entry['isApiErrorMessage'] === true,
        parts,
      };
      items.push(item);
      open = id === undefined ? undefined : { id, item };
    } else if (entry.type === 'user' && entry['isMeta'] !== true) {
      const produced = readUserEntry(entry, results);
      if (produced.length > 0) open = undefined;
      items.push(...produced);
    }
  }
  return { items, results, ...(agent ? { agent } : {}) };
}

function agentMetadata(entry: SessionStoreEntry): NonNullable<ReadTranscript['agent']> {
  const text = (key: string) => (typeof entry[key] === 'string' ? (entry[key] as string) : undefined);
  return {
    ...optional('toolUseId', text('toolUseId')),
    ...optional('agentType', text('agentType')),
    ...optional('description', text('description')),
    ...optional('model', text('model')),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function assistantPart(block: Record<string, unknown>): Part[] {
  switch (block['type']) {
    case 'text':
      return typeof block['text'] === 'string' && block['text'] !== ''
        ? [{ type: 'text', text: block['text'] }]
        : [];
    case 'thinking':
      return [{ type: 'thinking', text: String(block['thinking'] ?? ''), redacted: false }];
    case 'redacted_thinking':
      return [{ type: 'thinking', text: '', redacted: true }];
    case 'tool_use':
    case 'server_tool_use':
      return [
        {
          type: 'tool_use',
          id: String(block['id'] ?? ''),
          name: String(block['name'] ?? 'tool'),
          input: isRecord(block['input']) ? block['input'] : {},
        },
      ];
    default:
      return [placeholderOf(block)];
  }
}
