import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { readTranscript } from '../../conversations/markdown/entries.js';
import type { ReadTranscript } from '../../conversations/markdown/types.js';
import { linkSubagents, subagentName } from '../../conversations/markdown/subagents.js';
import { readUserEntry } from '../../conversations/markdown/user-entry.js';
import { isRecord } from '../../core/guards.js';
import type { ConversationExport } from '../../sessions/conversation-view.js';

/**
 * A session's stored transcripts as the console shows them: the main stream cut into turns (each
 * read by the Markdown export's own reader, `conversations/markdown/entries.ts`), each turn's
 * tokens and cost, and the subagent streams attached to the tool calls that started them.
 */

export interface Tokens {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

export interface SubagentStream {
  /** `agent-<id>` (the stream's subpath without `subagents/`). */
  name: string;
  /** `null`: the stream's history is missing from the store. */
  read: ReadTranscript | null;
  tokens: Tokens;
}

export interface Turn {
  read: ReadTranscript;
  /** This turn's API calls, its subagents' included. */
  tokens: Tokens;
  /** USD, when the session's cost is known (see `turnCosts`). */
  costUsd: number | undefined;
}

export interface TranscriptModel {
  /** `null`: the main transcript is missing from the store. */
  turns: Turn[] | null;
  /** Subagent streams by the id of the tool call that started them. */
  subagentsByCall: Map<string, SubagentStream>;
  /** Streams no call in the main transcript names (listed after it). */
  unlinked: SubagentStream[];
}

const ZERO: Tokens = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };

/**
 * Anthropic prices every Claude model in the same ratios: output 5×, cache write 1.25×, cache read
 * 0.1× the input price. A turn's share of these weighted tokens is therefore its share of the
 * session's cost, exactly, while the session stays on one model (`costUsd` is the SDK's own sum).
 */
export function weightOf(t: Tokens): number {
  return t.input + 5 * t.output + 1.25 * t.cacheCreation + 0.1 * t.cacheRead;
}

const add = (a: Tokens, b: Tokens): Tokens => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cacheCreation: a.cacheCreation + b.cacheCreation,
  cacheRead: a.cacheRead + b.cacheRead,
});

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;

/** The tokens of a stream's API calls: each assistant message's `usage` once (the binary repeats it per content block). */
export function tokensOf(entries: readonly SessionStoreEntry[]): Tokens {
  const byMessage = new Map<string, Tokens>();
  entries.forEach((entry, index) => {
    if (entry.type !== 'assistant' || !isRecord(entry['message'])) return;
    const message = entry['message'];
    const usage = isRecord(message['usage']) ? message['usage'] : undefined;
    if (!usage) return;
    const id = typeof message['id'] === 'string' ? message['id'] : `#${index}`;
    byMessage.set(id, {
      input: count(usage['input_tokens']),
      output: count(usage['output_tokens']),
      cacheCreation: count(usage['cache_creation_input_tokens']),
      cacheRead: count(usage['cache_read_input_tokens']),
    });
  });
  return [...byMessage.values()].reduce(add, ZERO);
}

/** Whether an entry is a person's prompt (it starts a turn): the export's reader finds a user message in it. */
function startsTurn(entry: SessionStoreEntry): boolean {
  if (entry.type !== 'user' || entry['isMeta'] === true) return false;
  return readUserEntry(entry, new Map()).some((item) => item.kind === 'user');
}

/** The main stream cut before each prompt; what precedes the first prompt joins the first turn. */
export function splitTurns(entries: readonly SessionStoreEntry[]): SessionStoreEntry[][] {
  const turns: SessionStoreEntry[][] = [];
  let current: SessionStoreEntry[] = [];
  for (const entry of entries) {
    if (startsTurn(entry) && current.some(startsTurn)) {
      turns.push(current);
      current = [];
    }
    current.push(entry);
  }
  if (current.length > 0) turns.push(current);
  return turns;
}

/** Each turn's cost: the session's cost shared by weighted tokens (`undefined` when it cannot be). */
export function turnCosts(
  weights: readonly number[],
  sessionCostUsd: number | undefined,
): Array<number | undefined> {
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (sessionCostUsd === undefined || !(total > 0)) return weights.map(() => undefined);
  return weights.map((w) => (sessionCostUsd * w) / total);
}

export function buildTranscriptModel(
  exported: Pick<ConversationExport, 'transcripts'>,
  sessionCostUsd: number | undefined,
): TranscriptModel {
  const main = exported.transcripts.find((t) => t.subpath === null)?.entries ?? null;
  const streams = exported.transcripts
    .filter((t): t is { subpath: string; entries: SessionStoreEntry[] | null } => t.subpath !== null)
    .map((t) => ({
      name: subagentName(t.subpath),
      read: t.entries ? readTranscript(t.entries) : null,
      tokens: t.entries ? tokensOf(t.entries) : ZERO,
    }));
  if (!main) return { turns: null, subagentsByCall: linkSubagents(streams, []), unlinked: streams };

  const segments = splitTurns(main).map((entries) => ({
    read: readTranscript(entries),
    own: tokensOf(entries),
  }));
  const subagentsByCall = linkSubagents(
    streams,
    segments.flatMap(({ read }) => [...read.results]),
  );
  const tokens = segments.map(({ read, own }) => {
    const started = [...callsOf(read)].flatMap((id) => subagentsByCall.get(id) ?? []);
    return started.map((s) => s.tokens).reduce(add, own);
  });
  const linked = new Set(subagentsByCall.values());
  const unlinked = streams.filter((s) => !linked.has(s));
  // Streams no turn claims still cost something: they count in the total the turns share.
  const weights = tokens.map(weightOf);
  const costs = turnCosts([...weights, ...unlinked.map((s) => weightOf(s.tokens))], sessionCostUsd);
  const turns = segments.map(({ read }, i) => ({ read, tokens: tokens[i] ?? ZERO, costUsd: costs[i] }));
  return { turns, subagentsByCall, unlinked };
}

/** The ids of the tool calls a stream's assistant messages made. */
function* callsOf(read: ReadTranscript): Generator<string> {
  for (const item of read.items) {
    if (item.kind !== 'assistant') continue;
    for (const part of item.parts) if (part.type === 'tool_use') yield part.id;
  }
}
