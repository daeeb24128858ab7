import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { ConversationKey } from '../../../src/core/keys.js';
import { projectKeyForTenant } from '../../../src/core/keys.js';
import { errorMessage } from '../../../src/core/errors.js';
import type { Storage, TranscriptStore } from '../../../src/sessions/types.js';

/** What a stored transcript says, and what is wrong with it (empty `problems` = intact). */
export interface TranscriptCheck {
  sessionId: string | null;
  /** Completed turns recorded in the conversation map. */
  turns: number;
  entries: number;
  /** The user's own messages in stored order (the text block, without `<message_time>`). */
  userTexts: string[];
  problems: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The user's text of a stored `user` entry, or undefined for tool results and other entries. */
export function userTextOf(entry: SessionStoreEntry): string | undefined {
  if (entry.type !== 'user' || !isRecord(entry.message)) return undefined;
  if (entry.isMeta === true || entry.isSidechain === true) return undefined;
  const content = entry.message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const blocks = content.filter(isRecord);
  if (blocks.some((b) => b.type === 'tool_result')) return undefined;
  const texts = blocks
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .filter((t) => !t.startsWith('<message_time>'));
  return texts.at(-1);
}

/**
 * Structural checks of a transcript's entries: every entry an object with a string `type`,
 * `uuid`s unique, and every `parentUuid` naming an entry stored before it (the chain the SDK
 * resumes from is intact).
 */
export function chainProblems(entries: readonly SessionStoreEntry[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    if (!isRecord(entry) || typeof entry.type !== 'string') {
      problems.push(`entry ${i} is not an object with a type`);
      return;
    }
    const uuid = entry.uuid;
    const parent = entry.parentUuid;
    if (typeof parent === 'string' && !seen.has(parent)) {
      problems.push(`entry ${i} (${entry.type}) has parentUuid ${parent} not stored before it`);
    }
    if (typeof uuid === 'string') {
      if (seen.has(uuid)) problems.push(`entry ${i} repeats uuid ${uuid}`);
      seen.add(uuid);
    }
  });
  return problems;
}

/** Load a conversation's transcript through `store` (default: the storage's own) and check it. */
export async function checkConversation(
  storage: Storage,
  key: ConversationKey,
  store: TranscriptStore = storage.transcripts,
): Promise<TranscriptCheck> {
  const record = await storage.conversations.get(key);
  if (!record) return { sessionId: null, turns: 0, entries: 0, userTexts: [], problems: [] };
  const out: TranscriptCheck = {
    sessionId: record.sessionId,
    turns: record.turns,
    entries: 0,
    userTexts: [],
    problems: [],
  };
  let entries: SessionStoreEntry[] | null;
  try {
    entries = await store.load({ projectKey: projectKeyForTenant(key.tenant), sessionId: record.sessionId });
  } catch (err) {
    out.problems.push(`load failed: ${errorMessage(err)}`);
    return out;
  }
  if (!entries || entries.length === 0) {
    out.problems.push(`the map points at session ${record.sessionId} but its transcript is missing`);
    return out;
  }
  out.entries = entries.length;
  out.problems.push(...chainProblems(entries));
  for (const entry of entries) {
    const text = userTextOf(entry);
    if (text !== undefined) out.userTexts.push(text);
  }
  return out;
}
