import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { errorMessage } from '../core/errors.js';
import { isRecord } from '../core/guards.js';
import type { Logger } from '../core/logger.js';
import type { TurnEvent } from './types.js';

/** Tools whose call starts a subagent (`subagent_type` in the input names it). */
const SUBAGENT_TOOLS = new Set(['Agent', 'Task']);

/** Longest `summary` of a tool call's input. */
export const SUMMARY_MAX_CHARS = 200;

/**
 * Turns one turn's SDK messages into `TurnEvent`s (stateful: it knows where a text block begins).
 * Needs `includePartialMessages` for `text`; tool events come from the complete messages.
 */
export interface EventTranslator {
  translate(message: SDKMessage): TurnEvent[];
  /** The main agent's text streamed so far (what a stopped turn had answered). */
  streamedText(): string;
}

export function createEventTranslator(): EventTranslator {
  let streamed = '';
  let blockStarted = false;
  return {
    streamedText: () => streamed,
    translate(message) {
      switch (message.type) {
        case 'stream_event': {
          if (message.parent_tool_use_id !== null) return [];
          const event = message.event;
          if (event.type === 'content_block_start' && event.content_block.type === 'text') {
            blockStarted = true;
            return [];
          }
          if (event.type !== 'content_block_delta' || event.delta.type !== 'text_delta') return [];
          // Text blocks after the first one of the turn are set apart by a blank line.
          const prefix = blockStarted && streamed !== '' ? '\n\n' : '';
          blockStarted = false;
          const delta = prefix + event.delta.text;
          if (delta === '') return [];
          streamed += delta;
          return [{ type: 'text', delta }];
        }
        case 'assistant':
          return toolStarts(message.message.content, message.parent_tool_use_id);
        case 'user':
          return toolEnds(message.message.content);
        case 'tool_progress':
          return [
            {
              type: 'tool_progress',
              id: message.tool_use_id,
              name: message.tool_name,
              elapsedS: message.elapsed_time_seconds,
            },
          ];
        default:
          return [];
      }
    },
  };
}

function toolStarts(content: unknown, parentId: string | null): TurnEvent[] {
  if (!Array.isArray(content)) return [];
  const events: TurnEvent[] = [];
  for (const block of content) {
    if (!isRecord(block) || block.type !== 'tool_use') continue;
    if (typeof block.id !== 'string' || typeof block.name !== 'string') continue;
    const input = isRecord(block.input) ? block.input : {};
    const subagent =
      SUBAGENT_TOOLS.has(block.name) && typeof input.subagent_type === 'string'
        ? input.subagent_type
        : undefined;
    events.push({
      type: 'tool_start',
      id: block.id,
      name: block.name,
      summary: summarizeInput(block.name, input),
      parentId,
      ...(subagent !== undefined ? { subagent } : {}),
    });
  }
  return events;
}

function toolEnds(content: unknown): TurnEvent[] {
  if (!Array.isArray(content)) return [];
  const events: TurnEvent[] = [];
  for (const block of content) {
    if (!isRecord(block) || block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
    events.push({ type: 'tool_end', id: block.tool_use_id, isError: block.is_error === true });
  }
  return events;
}

/** The input field that says most about a call of each well-known tool. */
const KEY_FIELD: Record<string, string> = {
  Bash: 'command',
  Read: 'file_path',
  Write: 'file_path',
  Edit: 'file_path',
  Glob: 'pattern',
  Grep: 'pattern',
  WebFetch: 'url',
  WebSearch: 'query',
  Skill: 'skill',
  Agent: 'description',
  Task: 'description',
  ToolSearch: 'query',
};

/** One line, at most `SUMMARY_MAX_CHARS`: the key field of a known tool, else compact JSON. */
export function summarizeInput(name: string, input: Record<string, unknown>): string {
  const field = KEY_FIELD[name];
  const value = field !== undefined ? input[field] : undefined;
  const raw =
    typeof value === 'string' ? value : Object.keys(input).length === 0 ? '' : JSON.stringify(input);
  const line = raw.replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_MAX_CHARS ? `${line.slice(0, SUMMARY_MAX_CHARS - 1)}…` : line;
}

/**
 * A listener that can never fail the turn: a throw is logged and the listener detached (a broken
 * live view must not cost the user the answer).
 */
export function safeListener(
  listener: ((event: TurnEvent) => void) | undefined,
  log: Logger,
): ((event: TurnEvent) => void) | undefined {
  if (!listener) return undefined;
  let broken = false;
  return (event) => {
    if (broken) return;
    try {
      listener(event);
    } catch (err) {
      broken = true;
      log.warn('turn event listener failed; live updates stop for this turn', { error: errorMessage(err) });
    }
  };
}
