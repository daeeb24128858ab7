import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { TenantId } from '../core/ids.js';
import { projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import type { ConversationRecord, SessionKey, Storage, TranscriptStat } from './types.js';

/**
 * Read-only views of one conversation (its map record and the session's transcripts), shared by the
 * API, the bot's `/debug` and the CLI's `/debug`.
 */

/** The store key of a conversation's session (main transcript, or one subagent's with `subpath`). */
export function sessionKeyOf(record: ConversationRecord, subpath?: string): SessionKey {
  return sessionKeyIn(record.key.tenant, record.sessionId, subpath);
}

export interface ConversationDescription {
  record: ConversationRecord;
  /** `null` when the map points at a session whose history is missing. */
  main: TranscriptStat | null;
  subagents: Array<{ subpath: string; stat: TranscriptStat | null }>;
}

/** The store key of one session of a tenant (main transcript, or one subagent's with `subpath`). */
export function sessionKeyIn(tenant: TenantId, sessionId: string, subpath?: string): SessionKey {
  return {
    projectKey: projectKeyForTenant(tenant),
    sessionId,
    ...(subpath === undefined ? {} : { subpath }),
  };
}

/** A session's transcript metadata (main and each subagent stream), without reading any transcript. */
export async function describeSession(
  storage: Storage,
  tenant: TenantId,
  sessionId: string,
): Promise<Pick<ConversationDescription, 'main' | 'subagents'>> {
  const main = await storage.transcripts.stat(sessionKeyIn(tenant, sessionId));
  const subpaths = await storage.transcripts.listSubkeys(sessionKeyIn(tenant, sessionId));
  const subagents = await Promise.all(
    subpaths.map(async (subpath) => ({
      subpath,
      stat: await storage.transcripts.stat(sessionKeyIn(tenant, sessionId, subpath)),
    })),
  );
  return { main, subagents };
}

/** Map record + transcript metadata, without reading any transcript. `null` if there is no conversation. */
export async function describeConversation(
  storage: Storage,
  key: ConversationKey,
): Promise<ConversationDescription | null> {
  const record = await storage.conversations.get(key);
  if (!record) return null;
  return { record, ...(await describeSession(storage, key.tenant, record.sessionId)) };
}

export interface ConversationExport {
  sessionId: string;
  /** Main transcript first (`subpath: null`), then each subagent's; `entries` null if missing. */
  transcripts: Array<{ subpath: string | null; entries: SessionStoreEntry[] | null }>;
}

/** Every transcript of one session of a tenant (main first; `entries` null where missing). */
export async function exportSession(
  storage: Storage,
  tenant: TenantId,
  sessionId: string,
): Promise<ConversationExport> {
  const main = await storage.transcripts.load(sessionKeyIn(tenant, sessionId));
  const transcripts: ConversationExport['transcripts'] = [{ subpath: null, entries: main }];
  for (const subpath of await storage.transcripts.listSubkeys(sessionKeyIn(tenant, sessionId))) {
    transcripts.push({
      subpath,
      entries: await storage.transcripts.load(sessionKeyIn(tenant, sessionId, subpath)),
    });
  }
  return { sessionId, transcripts };
}

/** Every transcript of the conversation's session. `null` if there is no conversation. */
export async function exportConversation(
  storage: Storage,
  key: ConversationKey,
): Promise<ConversationExport | null> {
  const record = await storage.conversations.get(key);
  return record ? exportSession(storage, key.tenant, record.sessionId) : null;
}

/** Entries as JSONL (one SDK entry per line), the transcript file format. */
export function toJsonl(entries: readonly SessionStoreEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
}

/** File name of one transcript in an export: `<session>.jsonl` or `<session>-subagents_agent-x.jsonl`. */
export function transcriptFileName(sessionId: string, subpath: string | null | undefined): string {
  return `${sessionId}${subpath ? `-${subpath.replaceAll('/', '_')}` : ''}.jsonl`;
}
