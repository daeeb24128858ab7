import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { OmniError, StorageError } from '../core/errors.js';
import type { SessionId, TenantId } from '../core/ids.js';
import { conversationKeyString, projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { historyUntil } from '../sessions/catalog/rules.js';
import type { SessionInfo, SessionKey, SessionStore, Storage } from '../sessions/types.js';
import { ConversationError } from './errors.js';
import { readTranscript, type TranscriptSource } from './import-file.js';
import type { ConversationService, SessionView } from './types.js';

/**
 * `sessions import`: a Claude Code transcript (`~/.claude/projects/<dir>/<uuid>.jsonl`, with its
 * `<uuid>/subagents/`) becomes a session of a conversation, written by the SDK's own
 * `importSessionToStore` so the stored entries are exactly what a resume expects. Two steps so a
 * caller can show what will happen and ask first: `planImport` (read, check, refuse a taken id)
 * and `runImport` (write, catalog, switch; on any failure everything written is removed again).
 */

export interface ImportDeps {
  storage: Storage;
  service: ConversationService;
  logger: Logger;
  clock?: Clock;
}

/** A checked transcript and where it goes. */
export interface ImportPlan {
  key: ConversationKey;
  source: TranscriptSource;
  /** The session the conversation is on now (it stays listed; the import becomes current). */
  replaces: SessionView['sessionId'] | null;
}

export interface ImportProgress {
  /** `null`: the main transcript; else a subagent's subpath. */
  subpath: string | null;
  /** Entries written so far, of all streams, and the total. */
  written: number;
  total: number;
}

export interface ImportOutcome {
  session: SessionView;
  entries: number;
  subagents: string[];
  replaced: ImportPlan['replaces'];
}

/** Read and check `file` for conversation `key`; refuses (`session_exists`) an id the tenant has. */
export async function planImport(
  storage: Storage,
  key: ConversationKey,
  file: string,
  options: { maxBytes?: number } = {},
): Promise<ImportPlan> {
  const source = await readTranscript(file, options);
  const { sessionId } = source;
  const listed = await storage.sessions.get(key.tenant, sessionId);
  const stored = await storage.transcripts.stat({ projectKey: projectKeyForTenant(key.tenant), sessionId });
  if (listed || stored) {
    throw new ConversationError(
      'session_exists',
      listed
        ? `[conversations:import] session ${sessionId} is already in tenant ${key.tenant} (conversation ${conversationKeyString(listed.key)}); delete it first to import it again`
        : `[conversations:import] the store already holds a transcript of session ${sessionId} in tenant ${key.tenant}`,
    );
  }
  const map = await storage.conversations.get(key);
  return { key, source, replaces: map && map.turns > 0 ? map.sessionId : null };
}

/**
 * `CLAUDE_CONFIG_DIR` is process-wide and the SDK's importer finds the file only there: imports
 * in one process take turns. (Turns are unaffected: the runner gives each child its own env.)
 */
let configDirLock: Promise<unknown> = Promise.resolve();

async function withConfigDir<T>(dir: string, run: () => Promise<T>): Promise<T> {
  const previous = configDirLock;
  let release!: () => void;
  configDirLock = new Promise<void>((resolve) => (release = resolve));
  await previous.catch(() => undefined);
  const saved = process.env['CLAUDE_CONFIG_DIR'];
  process.env['CLAUDE_CONFIG_DIR'] = dir;
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env['CLAUDE_CONFIG_DIR'];
    else process.env['CLAUDE_CONFIG_DIR'] = saved;
    release();
  }
}

/** The transcript laid out as Claude Code keeps it, in a fresh config dir of its own. */
async function stage(source: TranscriptSource): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'omni-import-'));
  const project = join(root, 'projects', 'import');
  await mkdir(project, { recursive: true });
  // The validated text, not the original file: what was checked is what is imported.
  await writeFile(join(project, `${source.sessionId}.jsonl`), source.main.text);
  for (const sub of source.subagents) {
    const file = join(project, source.sessionId, `${sub.subpath}.jsonl`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, sub.text);
    if (sub.meta !== undefined) await writeFile(file.replace(/\.jsonl$/, '.meta.json'), sub.meta);
  }
  return root;
}

/**
 * The tenant's transcript store as the SDK's importer sees it: whatever `projectKey` the SDK
 * derives (from a cwd) is the tenant's, and only this session can be written.
 */
function tenantStore(
  storage: Storage,
  plan: ImportPlan,
  onAppend: (subpath: string | null, count: number) => void,
): SessionStore {
  const projectKey = projectKeyForTenant(plan.key.tenant);
  const mapped = (key: SessionKey): SessionKey => {
    if (key.sessionId !== plan.source.sessionId) {
      throw new ConversationError(
        'invalid_import',
        `[conversations:import] the SDK wrote session ${key.sessionId}, expected ${plan.source.sessionId}`,
      );
    }
    return { projectKey, sessionId: key.sessionId, ...(key.subpath ? { subpath: key.subpath } : {}) };
  };
  return {
    async append(key, entries) {
      await storage.transcripts.append(mapped(key), entries);
      onAppend(key.subpath ?? null, entries.length);
    },
    load: (key) => storage.transcripts.load(mapped(key)),
  };
}

/**
 * Write the planned import: transcripts through the SDK's importer, a catalog entry (`import`,
 * turns = prompts, dates from the entries, history kept 25 days from now) and the conversation
 * switched to it. Any failure removes what was written and rethrows.
 */
export async function runImport(
  deps: ImportDeps,
  plan: ImportPlan,
  options: { by?: string; onProgress?: (progress: ImportProgress) => void } = {},
): Promise<ImportOutcome> {
  const { onProgress } = options;
  const { storage, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const { key, source } = plan;
  const mainKey = { projectKey: projectKeyForTenant(key.tenant), sessionId: source.sessionId };
  const total =
    source.main.entries.length +
    source.subagents.reduce((n, s) => n + s.entries.length + (s.meta !== undefined ? 1 : 0), 0);
  let written = 0;
  let catalogued = false;
  /** Cleared when another import of the same id won the race: its transcripts are not ours to delete. */
  let ours = true;
  const root = await stage(source);
  try {
    const store = tenantStore(storage, plan, (subpath, count) => {
      written += count;
      onProgress?.({ subpath, written, total });
    });
    // Loaded on first use (~250 ms): reading and checking a file, and the other commands, never pay for it.
    // (A bundler still includes it: the HTTP API should reach this through its deps, not import it.)
    const { importSessionToStore } = await import('@anthropic-ai/claude-agent-sdk');
    await withConfigDir(root, () =>
      importSessionToStore(source.sessionId, store, { includeSubagents: true }),
    ).catch((err: unknown) => {
      if (err instanceof OmniError) throw err;
      throw new ConversationError(
        'invalid_import',
        `[conversations:import] the SDK could not import ${source.main.path}: ${(err as Error).message}`,
        { cause: err },
      );
    });
    const stat = await storage.transcripts.stat(mainKey);
    if (!stat || stat.entries === 0) {
      throw new StorageError(
        `[conversations:import] nothing of session ${source.sessionId} reached the store`,
      );
    }
    const now = clock.now();
    const info: SessionInfo = {
      key,
      sessionId: source.sessionId,
      createdAt: Math.floor(source.firstAt ?? now),
      updatedAt: Math.floor(source.lastAt ?? now),
      // At least 1: a conversation on a session with 0 turns would start it afresh, not resume it.
      turns: Math.max(1, source.prompts),
      title: source.title,
      costUsd: 0,
      model: null,
      origin: 'import',
      // Kept as long as a session used today: its own dates may be older than the horizon.
      historyUntil: historyUntil(now),
    };
    await storage.sessions.create(info).catch((err: unknown) => {
      if (err instanceof StorageError && err.code === 'session_exists') {
        ours = false;
        throw new ConversationError(
          'session_exists',
          `[conversations:import] session ${source.sessionId} was catalogued meanwhile (another import?)`,
          { cause: err },
        );
      }
      throw err;
    });
    catalogued = true;
    const switched = await deps.service.switchTo(key, source.sessionId, options.by);
    logger.info('[conversations] session imported', {
      conversation: conversationKeyString(key),
      session_id: source.sessionId,
      entries: written,
      subagents: source.subagents.length,
      replaced: plan.replaces,
    });
    return {
      session: switched.session,
      entries: stat.entries,
      subagents: source.subagents.map((s) => s.subpath as string),
      replaced: plan.replaces,
    };
  } catch (err) {
    if (ours) await undo(storage, key.tenant, source.sessionId, catalogued, logger);
    throw err;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Remove a failed import's writes (transcripts, then the catalog entry if it was made). */
async function undo(
  storage: Storage,
  tenant: TenantId,
  sessionId: SessionId,
  catalogued: boolean,
  logger: Logger,
): Promise<void> {
  try {
    await storage.transcripts.delete({ projectKey: projectKeyForTenant(tenant), sessionId });
    if (catalogued) await storage.sessions.remove(tenant, sessionId);
  } catch (err) {
    logger.error('[conversations:import] could not remove a failed import', {
      session_id: sessionId,
      error: (err as Error).message,
    });
  }
}
