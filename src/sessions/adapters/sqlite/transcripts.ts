import type Database from 'better-sqlite3';
import type {
  foldSessionSummary,
  SessionKey,
  SessionStoreEntry,
  SessionSummaryEntry,
} from '@anthropic-ai/claude-agent-sdk';
import type { Clock } from '../../../core/clock.js';
import { tenantFromProjectKey, transcriptAddress, transcriptId } from '../../../core/keys.js';
import type { TranscriptStat, TranscriptStore } from '../../types.js';
import { guarded, translate } from './errors.js';

/** Called inside the append/delete transaction; throws (`FencedWriteError`) to abort the write. */
export type WriteGuard = (now: number) => void;

type Fold = typeof foldSessionSummary;

interface MetaRow {
  next_seq: number;
  summary: string | null;
}

interface StatRow {
  entries: number;
  bytes: number;
  mtime: number;
}

let foldPromise: Promise<Fold> | undefined;
/** The SDK is loaded on the first append only (~250 ms), so CLI reads stay fast. */
function loadFold(): Promise<Fold> {
  foldPromise ??= import('@anthropic-ai/claude-agent-sdk').then((sdk) => sdk.foldSessionSummary);
  return foldPromise;
}

export interface SqliteTranscripts {
  /** The unfenced store. */
  readonly store: TranscriptStore;
  /** A store whose writes run `guard` inside their transaction. */
  guardedBy(guard: WriteGuard): TranscriptStore;
}

export function createSqliteTranscripts(
  db: Database.Database,
  file: string,
  clock: Clock,
): SqliteTranscripts {
  const q = {
    meta: db.prepare<[string], MetaRow>('SELECT next_seq, summary FROM transcripts WHERE id = ?'),
    insertEntry: db.prepare<[string, number, string | null, string]>(
      'INSERT INTO entries (transcript, seq, uuid, json) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    insertMeta: db.prepare(
      `INSERT INTO transcripts (id, tenant, session_id, subpath, next_seq, entries, bytes, created_at, mtime, summary)
       VALUES (@id, @tenant, @sessionId, @subpath, @nextSeq, @added, @bytes, @now, @now, @summary)
       ON CONFLICT (id) DO UPDATE SET next_seq = @nextSeq, entries = entries + @added,
         bytes = bytes + @bytes, mtime = @now, summary = @summary`,
    ),
    load: db.prepare<[string], string>('SELECT json FROM entries WHERE transcript = ? ORDER BY seq').pluck(),
    stat: db.prepare<[string], StatRow>('SELECT entries, bytes, mtime FROM transcripts WHERE id = ?'),
    sessions: db.prepare<[string], { sessionId: string; mtime: number }>(
      "SELECT session_id AS sessionId, mtime FROM transcripts WHERE tenant = ? AND subpath = ''",
    ),
    summaries: db.prepare<[string], { sessionId: string; mtime: number; summary: string | null }>(
      "SELECT session_id AS sessionId, mtime, summary FROM transcripts WHERE tenant = ? AND subpath = ''",
    ),
    subkeys: db
      .prepare<[string, string], string>(
        "SELECT subpath FROM transcripts WHERE tenant = ? AND session_id = ? AND subpath <> '' ORDER BY subpath",
      )
      .pluck(),
    deleteSessionEntries: db.prepare<[string, string]>(
      'DELETE FROM entries WHERE transcript IN (SELECT id FROM transcripts WHERE tenant = ? AND session_id = ?)',
    ),
    deleteSessionMeta: db.prepare<[string, string]>(
      'DELETE FROM transcripts WHERE tenant = ? AND session_id = ?',
    ),
    deleteEntries: db.prepare<[string]>('DELETE FROM entries WHERE transcript = ?'),
    deleteMeta: db.prepare<[string]>('DELETE FROM transcripts WHERE id = ?'),
  };

  const appendTx = db.transaction(
    (key: SessionKey, entries: SessionStoreEntry[], fold: Fold, guard: WriteGuard | undefined): void => {
      const now = Math.floor(clock.now());
      guard?.(now);
      const addr = transcriptAddress(key);
      const id = transcriptId(addr);
      const meta = q.meta.get(id);
      let seq = meta?.next_seq ?? 0;
      let bytes = 0;
      const stored: SessionStoreEntry[] = [];
      for (const entry of entries) {
        const json = JSON.stringify(entry);
        const uuid = typeof entry.uuid === 'string' ? entry.uuid : null;
        if (q.insertEntry.run(id, seq, uuid, json).changes === 0) continue;
        seq += 1;
        bytes += Buffer.byteLength(json);
        stored.push(entry);
      }
      if (stored.length === 0 && meta) return;
      let summary = meta?.summary ?? null;
      if (addr.subpath === undefined) {
        const prev = summary === null ? undefined : (JSON.parse(summary) as SessionSummaryEntry);
        summary = JSON.stringify(fold(prev, key, stored, { mtime: now }));
      }
      q.insertMeta.run({
        id,
        tenant: addr.tenant,
        sessionId: addr.sessionId,
        subpath: addr.subpath ?? '',
        nextSeq: seq,
        added: stored.length,
        bytes,
        now,
        summary,
      });
    },
  );

  const deleteTx = db.transaction((key: SessionKey, guard: WriteGuard | undefined): void => {
    guard?.(Math.floor(clock.now()));
    const addr = transcriptAddress(key);
    if (addr.subpath === undefined) {
      q.deleteSessionEntries.run(addr.tenant, addr.sessionId);
      q.deleteSessionMeta.run(addr.tenant, addr.sessionId);
    } else {
      const id = transcriptId(addr);
      q.deleteEntries.run(id);
      q.deleteMeta.run(id);
    }
  });

  const build = (guard: WriteGuard | undefined): TranscriptStore => ({
    async append(key, entries) {
      transcriptAddress(key);
      if (entries.length === 0) return;
      let fold: Fold;
      try {
        fold = await loadFold();
      } catch (err) {
        throw translate('loading foldSessionSummary', err);
      }
      guarded('append', () => appendTx.immediate(key, entries, fold, guard));
    },

    async load(key) {
      const id = transcriptId(transcriptAddress(key));
      const rows = guarded('load', () => q.load.all(id));
      if (rows.length === 0) return null;
      return rows.map((json) => JSON.parse(json) as SessionStoreEntry);
    },

    async listSessions(projectKey) {
      const tenant = tenantFromProjectKey(projectKey);
      return guarded('listSessions', () => q.sessions.all(tenant));
    },

    async listSessionSummaries(projectKey) {
      const tenant = tenantFromProjectKey(projectKey);
      const rows = guarded('listSessionSummaries', () => q.summaries.all(tenant));
      return rows.map((row) => ({
        sessionId: row.sessionId,
        mtime: row.mtime,
        data: row.summary === null ? {} : (JSON.parse(row.summary) as SessionSummaryEntry).data,
      }));
    },

    async listSubkeys(key) {
      const addr = transcriptAddress({ projectKey: key.projectKey, sessionId: key.sessionId });
      return guarded('listSubkeys', () => q.subkeys.all(addr.tenant, addr.sessionId));
    },

    async delete(key) {
      transcriptAddress(key);
      guarded('delete', () => deleteTx.immediate(key, guard));
    },

    async stat(key): Promise<TranscriptStat | null> {
      const id = transcriptId(transcriptAddress(key));
      const row = guarded('stat', () => q.stat.get(id));
      if (!row) return null;
      return {
        entries: row.entries,
        bytes: row.bytes,
        mtime: row.mtime,
        location: `${file} (transcript ${id})`,
      };
    },
  });

  return { store: build(undefined), guardedBy: build };
}
