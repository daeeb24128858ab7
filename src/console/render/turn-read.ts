import { summarizeInput } from '../../agent/events.js';
import { readTranscript } from '../../conversations/markdown/entries.js';
import { linkSubagents, subagentName } from '../../conversations/markdown/subagents.js';
import type { Part, ReadTranscript, ToolResult } from '../../conversations/markdown/types.js';
import type { ConversationKey } from '../../core/keys.js';
import { exportConversation, type ConversationExport } from '../../sessions/conversation-view.js';
import type { Storage } from '../../sessions/types.js';

/**
 * A conversation's current session as the chat page shows it: turns (a person's message, then what
 * the agent did and said until the next one), read from the stored transcripts the way the API's
 * `GET …/transcript?format=json` export reads them (`exportConversation`, `readTranscript`).
 */

/** One tool call: its one-line input summary (the live `tool_start` summary), result, nested calls. */
export interface ToolStep {
  type: 'tool';
  id: string;
  name: string;
  summary: string;
  /** `undefined`: no result recorded (the turn ended, or waits for an approval). */
  result: ToolResult | undefined;
  /** The agent type when the call started a subagent. */
  subagent?: string;
  /** The subagent's own tool calls, when its stream is stored. */
  children: ToolStep[];
}

export type TurnStep = { type: 'text'; text: string } | ToolStep;

export interface ChatTurn {
  /** What the person sent (text, attachments); `null` for steps before any message. */
  user: Part[] | null;
  time: string | undefined;
  steps: TurnStep[];
  /** The turn was stopped (the binary recorded an interruption). */
  interrupted: boolean;
}

export interface ChatHistory {
  sessionId: string;
  turns: ChatTurn[];
}

/** The conversation's turns so far; `null` when it has no session (or its history is missing). */
export async function readChatHistory(storage: Storage, key: ConversationKey): Promise<ChatHistory | null> {
  const exported = await exportConversation(storage, key);
  return exported ? chatHistory(exported) : null;
}

/** A session's exported transcripts as turns (`null` when its main transcript is missing). */
export function chatHistory(exported: ConversationExport): ChatHistory | null {
  const mainEntries = exported.transcripts[0]?.entries;
  if (!mainEntries) return null;
  const main = readTranscript(mainEntries);
  const streams = exported.transcripts
    .slice(1)
    .flatMap((t) =>
      t.entries && t.subpath ? [{ name: subagentName(t.subpath), read: readTranscript(t.entries) }] : [],
    );
  const linked = linkSubagents(streams, main.results);
  const subagents = new Map([...linked].map(([call, stream]) => [call, stream.read]));
  return { sessionId: exported.sessionId, turns: turnsOf(main, subagents) };
}

/** The text the agent answered in the last turn (its text blocks, a blank line apart): the final answer. */
export function lastAnswer(history: ChatHistory | null): string {
  const turn = history?.turns.at(-1);
  if (!turn) return '';
  return turn.steps
    .flatMap((s) => (s.type === 'text' ? [s.text] : []))
    .join('\n\n')
    .trim();
}

function turnsOf(main: ReadTranscript, subagents: Map<string, ReadTranscript>): ChatTurn[] {
  const turns: ChatTurn[] = [];
  let current: ChatTurn | undefined;
  const open = (user: Part[] | null, time: string | undefined): ChatTurn => {
    const turn: ChatTurn = { user, time, steps: [], interrupted: false };
    turns.push(turn);
    return turn;
  };
  for (const item of main.items) {
    if (item.kind === 'user') current = open(item.parts, item.time);
    else if (item.kind === 'interrupted') (current ?? open(null, item.time)).interrupted = true;
    else if (item.kind === 'assistant') {
      const turn = current ?? (current = open(null, item.time));
      turn.steps.push(...stepsOf(item.parts, main, subagents));
    }
  }
  return turns;
}

function stepsOf(
  parts: readonly Part[],
  stream: ReadTranscript,
  subagents: Map<string, ReadTranscript>,
): TurnStep[] {
  const steps: TurnStep[] = [];
  for (const part of parts) {
    if (part.type === 'text') steps.push({ type: 'text', text: part.text });
    if (part.type !== 'tool_use') continue;
    const sub = subagents.get(part.id);
    const type = part.input['subagent_type'];
    steps.push({
      type: 'tool',
      id: part.id,
      name: part.name,
      summary: summarizeInput(part.name, part.input),
      result: stream.results.get(part.id),
      ...(typeof type === 'string' ? { subagent: type } : {}),
      children: sub ? toolsOf(sub) : [],
    });
  }
  return steps;
}

/** A subagent stream's tool calls (its text is its report, which the parent call's result holds). */
function toolsOf(stream: ReadTranscript): ToolStep[] {
  return stream.items
    .flatMap((item) => (item.kind === 'assistant' ? stepsOf(item.parts, stream, new Map()) : []))
    .filter((s): s is ToolStep => s.type === 'tool');
}
