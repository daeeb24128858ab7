import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { SessionId } from '../core/ids.js';
import { parseSubpath } from '../core/keys.js';
import { sessionTitle } from '../sessions/catalog/rules.js';
import { isInjectedText } from '../sessions/injected-text.js';
import { ConversationError } from './errors.js';

/**
 * Reading and checking a Claude Code transcript before it is imported (`sessions import`): the
 * whole file (and its subagent files) is read once, every line parsed, and nothing reaches a store
 * unless all of it is sound. The SDK's importer skips unparseable lines silently; this does not.
 */

/** The largest transcript (main + subagents) accepted: bigger ones are refused before reading. */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One JSONL file of the transcript, checked: its raw text and its entries. */
export interface TranscriptFile {
  /** Path as given (for messages). */
  path: string;
  /** `null` for the main transcript, else e.g. `subagents/agent-abc`. */
  subpath: string | null;
  text: string;
  entries: Array<Record<string, unknown>>;
  /** The `.meta.json` sidecar next to a subagent file (copied along; the SDK imports it). */
  meta?: string;
}

/** A transcript file and what it says about its session. */
export interface TranscriptSource {
  sessionId: SessionId;
  main: TranscriptFile;
  subagents: TranscriptFile[];
  bytes: number;
  /** User prompts of the main transcript (not tool results, not meta entries). */
  prompts: number;
  /** The first prompt as a catalog title ('' if none). */
  title: string;
  /** Earliest and latest entry timestamps (epoch ms), `null` if no entry has one. */
  firstAt: number | null;
  lastAt: number | null;
}

const invalid = (message: string, cause?: unknown): ConversationError =>
  new ConversationError('invalid_import', `[conversations:import] ${message}`, cause ? { cause } : undefined);

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Every `.jsonl` below `dir` (recursively), or none if there is no such folder. */
async function jsonlFiles(dir: string): Promise<string[]> {
  let names: Dirent[];
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await jsonlFiles(path)));
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) found.push(path);
  }
  return found;
}

/** A file's text, refused if it is not UTF-8. */
function decode(buffer: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch (err) {
    throw invalid(`${path} is not UTF-8 text (a Claude Code transcript is JSON Lines)`, err);
  }
}

/** Every non-blank line as a JSON object, or an error naming the first bad line. */
export function parseJsonLines(text: string, path: string): Array<Record<string, unknown>> {
  const entries: Array<Record<string, unknown>> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw invalid(`${path} line ${i + 1} is not valid JSON: ${(err as Error).message}`, err);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalid(`${path} line ${i + 1} is not a JSON object (each line must be one transcript entry)`);
    }
    entries.push(value as Record<string, unknown>);
  }
  return entries;
}

/** Text a person typed: not empty, not injected by the binary or the runner. */
const typed = (text: string): boolean => text.trim() !== '' && !isInjectedText(text);

/** The user's own words of an entry: a prompt, not a tool result or an injected meta message. */
export function promptText(entry: Record<string, unknown>): string | null {
  if (entry['type'] !== 'user' || entry['isMeta'] === true || entry['isSidechain'] === true) return null;
  if (entry['isCompactSummary'] === true) return null;
  const message = entry['message'];
  if (typeof message !== 'object' || message === null) return null;
  const content = (message as Record<string, unknown>)['content'];
  if (typeof content === 'string') return typed(content) ? content : null;
  if (!Array.isArray(content)) return null;
  const blocks = content.filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null);
  if (blocks.some((b) => b['type'] === 'tool_result')) return null;
  const texts = blocks
    .filter((b) => b['type'] === 'text' && typeof b['text'] === 'string')
    .map((b) => b['text'] as string)
    .filter(typed);
  return texts.length > 0 ? texts.join('\n') : null;
}

/** The session id: the file's name if it is a UUID, else the one its entries name. */
function sessionIdOf(path: string, entries: ReadonlyArray<Record<string, unknown>>): SessionId {
  const named = basename(path).replace(/\.jsonl$/i, '');
  const ids = new Set(
    entries.map((e) => e['sessionId']).filter((id): id is string => typeof id === 'string'),
  );
  if (ids.size > 1) {
    throw invalid(`${path} mixes entries of ${ids.size} sessions (${[...ids].slice(0, 3).join(', ')}…)`);
  }
  const [inEntries] = [...ids];
  const fromName = UUID_RE.test(named.toLowerCase()) ? named : undefined;
  if (fromName && inEntries !== undefined && inEntries !== fromName) {
    throw invalid(
      `${path} is named after session ${fromName} but its entries belong to session ${inEntries}`,
    );
  }
  const id = fromName ?? inEntries;
  if (id === undefined) {
    throw invalid(`${path}: no session id (name the file <session-uuid>.jsonl, as Claude Code does)`);
  }
  if (!UUID_RE.test(id)) {
    throw invalid(`${path}: session id ${JSON.stringify(id.slice(0, 60))} is not a lowercase UUID`);
  }
  return id as SessionId;
}

function timeOf(entry: Record<string, unknown>): number | null {
  const at = typeof entry['timestamp'] === 'string' ? Date.parse(entry['timestamp']) : NaN;
  return Number.isFinite(at) ? at : null;
}

/**
 * Read and check a Claude Code transcript: `<uuid>.jsonl` and, if present, the subagent files in
 * `<uuid>/subagents/` next to it. Throws `invalid_import` naming the first problem; reads nothing
 * more than `maxBytes` in total.
 */
export async function readTranscript(
  path: string,
  options: { maxBytes?: number } = {},
): Promise<TranscriptSource> {
  const maxBytes = options.maxBytes ?? MAX_IMPORT_BYTES;
  const info = await stat(path).catch((err: unknown) => {
    throw invalid(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, err);
  });
  if (!info.isFile()) throw invalid(`${path} is not a file`);
  const folder = join(dirname(path), basename(path).replace(/\.jsonl$/i, ''), 'subagents');
  const subPaths = await jsonlFiles(folder);
  const sizes = await Promise.all(subPaths.map(async (p) => (await stat(p)).size));
  const bytes = info.size + sizes.reduce((a, b) => a + b, 0);
  if (bytes > maxBytes) {
    throw invalid(`${path} is ${mb(bytes)} with its subagents; the limit is ${mb(maxBytes)}`);
  }
  if (info.size === 0) throw invalid(`${path} is empty`);

  const text = decode(await readFile(path), path);
  const entries = parseJsonLines(text, path);
  if (entries.length === 0) throw invalid(`${path} has no entries (only blank lines)`);
  const sessionId = sessionIdOf(path, entries);
  if (!entries.some((e) => e['type'] === 'user' || e['type'] === 'assistant')) {
    throw invalid(`${path} has no user or assistant message: nothing to continue`);
  }

  const subagents: TranscriptFile[] = [];
  for (const file of subPaths) {
    const rel = relative(join(folder, '..'), file)
      .split(sep)
      .join('/')
      .replace(/\.jsonl$/, '');
    let subpath: string;
    try {
      subpath = parseSubpath(rel) as string;
    } catch (err) {
      throw invalid(`${file}: unusable subagent file name (${(err as Error).message})`, err);
    }
    const subText = decode(await readFile(file), file);
    const subEntries = parseJsonLines(subText, file);
    const other = subEntries.find((e) => typeof e['sessionId'] === 'string' && e['sessionId'] !== sessionId);
    if (other) {
      throw invalid(`${file} belongs to session ${String(other['sessionId'])}, not ${sessionId}`);
    }
    const metaPath = file.replace(/\.jsonl$/, '.meta.json');
    const meta = await readFile(metaPath, 'utf8').catch(() => undefined);
    // The SDK would skip an unreadable sidecar silently: refused here like a bad line.
    if (meta !== undefined) parseJsonLines(meta.replace(/\n/g, ' '), metaPath);
    subagents.push({
      path: file,
      subpath,
      text: subText,
      entries: subEntries,
      ...(meta !== undefined ? { meta } : {}),
    });
  }

  const prompts = entries.map(promptText).filter((t): t is string => t !== null);
  const times = entries.map(timeOf).filter((t): t is number => t !== null);
  return {
    sessionId,
    main: { path, subpath: null, text, entries },
    subagents,
    bytes,
    prompts: prompts.length,
    title: sessionTitle(prompts[0] ?? ''),
    // A loop, not Math.min(...times): a large transcript has more entries than a call has arguments.
    firstAt: times.reduce<number | null>((a, t) => (a === null || t < a ? t : a), null),
    lastAt: times.reduce<number | null>((a, t) => (a === null || t > a ? t : a), null),
  };
}
