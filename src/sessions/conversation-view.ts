import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import type { ConversationRecord, SessionKey, Storage, TranscriptStat } from './types.js';

/**
 * Read-only views of one conversation (its map record and the session's transcripts), shared by the
 * API, the bot's `/debug` and the CLI's `/debug`.
 */

/** The store key of a conversation's session (main transcript, or one subagent's with `subpath`). */
export function sessionKeyOf(record: ConversationRecord, subpath?: string): SessionKey {
  return {
    projectKey: projectKeyForTenant(record.key.tenant),
    sessionId: record.sessionId,
    ...(subpath === undefined ? {} : { subpath }),
  };
}

export interface ConversationDescription {
  record: ConversationRecord;
  /** `null` when the map points at a session whose history is missing. */
  main: TranscriptStat | null;
  subagents: Array<{ subpath: string; stat: TranscriptStat | null }>;
}

/** Map record + transcript metadata, without reading any transcript. `null` if there is no conversation. */
export async function describeConversation(
  storage: Storage,
  key: ConversationKey,
): Promise<ConversationDescription | null> {
  const record = await storage.conversations.get(key);
  if (!record) return null;
  const main = await storage.transcripts.stat(sessionKeyOf(record));
  const subpaths = await storage.transcripts.listSubkeys(sessionKeyOf(record));
  const subagents = await Promise.all(
    subpaths.map(async (subpath) => ({
      subpath,
      stat: await storage.transcripts.stat(sessionKeyOf(record, subpath)),
    })),
  );
  return { record, main, subagents };
}

export interface ConversationExport {
  sessionId: string;
  /** Main transcript first (`subpath: null`), then each subagent's; `entries` null if missing. */
  transcripts: Array<{ subpath: string | null; entries: SessionStoreEntry[] | null }>;
}

/** Every transcript of the conversation's session. `null` if there is no conversation. */
export async function exportConversation(
  storage: Storage,
  key: ConversationKey,
): Promise<ConversationExport | null> {
  const record = await storage.conversations.get(key);
  if (!record) return null;
  const main = await storage.transcripts.load(sessionKeyOf(record));
  const transcripts: ConversationExport['transcripts'] = [{ subpath: null, entries: main }];
  for (const subpath of await storage.transcripts.listSubkeys(sessionKeyOf(record))) {
    transcripts.push({ subpath, entries: await storage.transcripts.load(sessionKeyOf(record, subpath)) });
  }
  return { sessionId: record.sessionId, transcripts };
}

/** Entries as JSONL (one SDK entry per line), the transcript file format. */
export function toJsonl(entries: readonly SessionStoreEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
}

/** File name of one transcript in an export: `<session>.jsonl` or `<session>-subagents_agent-x.jsonl`. */
export function transcriptFileName(sessionId: string, subpath: string | null | undefined): string {
  return `${sessionId}${subpath ? `-${subpath.replaceAll('/', '_')}` : ''}.jsonl`;
}
