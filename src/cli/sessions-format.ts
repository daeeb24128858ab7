import type { SessionDetail, SessionView } from '../conversations/types.js';
import { DEFAULT_THREAD } from '../core/ids.js';
import type { ConversationKey } from '../core/keys.js';
import type { TranscriptStat } from '../sessions/types.js';
import { fitText, padText, textWidth } from './text-width.js';

/** How `omnicloud sessions list|show` prints sessions for people (`--json` prints the data as is). */

/** The terminal width when stdout is not a terminal (a pipe, a file). */
export const DEFAULT_COLUMNS = 100;
/** The title column never shrinks below this: on a narrow terminal the line wraps instead. */
const MIN_TITLE = 14;
const GAP = '  ';

/** `2026-12-02 07:30` (UTC). */
export function utcMinute(at: number): string {
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}

/** `-1001234` for a chat's main thread, `-1001234/42` for a topic. */
export function conversationLabel(key: ConversationKey): string {
  return key.thread === DEFAULT_THREAD ? key.chat : `${key.chat}/${key.thread}`;
}

export function costLabel(usd: number): string {
  return `$${usd.toFixed(usd >= 100 ? 2 : 4)}`;
}

/** `current`, `expired` (history gone: listed, never resumed), `missing`, or `-`. */
export function stateLabel(view: Pick<SessionView, 'current' | 'history'>): string {
  if (view.history !== 'available') return view.history;
  return view.current ? 'current' : '-';
}

export function bytesLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const HEADERS = ['UPDATED (UTC)', 'SESSION', 'CHAT', 'TURNS', 'COST', 'STATE', 'TITLE'] as const;
/** Columns aligned right (numbers). */
const RIGHT = new Set([3, 4]);
/** Columns given up, in this order, when the title would get less than `MIN_TITLE` (cost, then turns). */
const DROPPABLE = [4, 3];

/**
 * The sessions as an aligned table no wider than `columns`: the session id, time, chat and state
 * are always shown whole (an id must be copyable to act on it); the title gets what is left, cut
 * with "…"; on a narrow terminal cost and then turns make room first (`--json` has everything).
 */
export function sessionsTable(sessions: readonly SessionView[], columns = DEFAULT_COLUMNS): string[] {
  const rows = sessions.map((s) => [
    utcMinute(s.updatedAt),
    s.sessionId,
    conversationLabel(s.key),
    String(s.turns),
    costLabel(s.costUsd),
    stateLabel(s),
    s.title === '' ? '-' : s.title,
  ]);
  const cells = [[...HEADERS], ...rows];
  const title = HEADERS.length - 1;
  const widths = HEADERS.map((_, i) => Math.max(...cells.map((row) => textWidth(row[i]!))));
  let shown = widths.map((_, i) => i).filter((i) => i !== title);
  const used = () => shown.reduce((sum, i) => sum + widths[i]! + GAP.length, 0);
  for (const drop of DROPPABLE) {
    if (columns - used() >= MIN_TITLE) break;
    shown = shown.filter((i) => i !== drop);
  }
  const titleWidth = Math.max(MIN_TITLE, columns - used());
  return cells.map((row) =>
    [...shown, title]
      .map((i) => {
        const cell = row[i]!;
        if (i === title) return fitText(cell, titleWidth);
        const pad = widths[i]! - textWidth(cell);
        return RIGHT.has(i) ? ' '.repeat(pad) + cell : padText(cell, widths[i]!);
      })
      .join(GAP)
      .trimEnd(),
  );
}

function streamLine(stat: TranscriptStat | null): string {
  return stat
    ? `${stat.entries} ${stat.entries === 1 ? 'entry' : 'entries'}, ${bytesLabel(stat.bytes)}, last written ${utcMinute(stat.mtime)} UTC`
    : 'not in the store';
}

/** `sessions show` for people: one `label  value` line per fact. */
export function sessionDetailLines(detail: SessionDetail, now: number): string[] {
  const s = detail.session;
  const history =
    s.history === 'available'
      ? `available until ${utcMinute(s.historyUntil)} UTC (${Math.max(0, Math.ceil((s.historyUntil - now) / 86_400_000))} days)`
      : s.history === 'expired'
        ? `expired ${utcMinute(s.historyUntil)} UTC: listed, never resumed`
        : 'missing: deleted or lost from the store, cannot be resumed';
  const facts: Array<[string, string]> = [
    ['session', s.sessionId],
    ['tenant', s.key.tenant],
    ['conversation', `${s.key.chat} thread ${s.key.thread}${s.current ? ' (its current session)' : ''}`],
    ['title', s.title === '' ? '-' : s.title],
    ['origin', s.origin === 'import' ? 'imported (sessions import)' : 'turns of the conversation'],
    ['created', `${utcMinute(s.createdAt)} UTC`],
    ['updated', `${utcMinute(s.updatedAt)} UTC`],
    ['turns', String(s.turns)],
    ['cost', costLabel(s.costUsd)],
    ['model', s.model ?? '-'],
    ['history', history],
    ['main', streamLine(detail.main)],
    ...detail.subagents.map((sub): [string, string] => [sub.subpath, streamLine(sub.stat)]),
  ];
  if (detail.subagents.length === 0) facts.push(['subagents', 'none']);
  const total = [detail.main, ...detail.subagents.map((sub) => sub.stat)].reduce(
    (sum, stat) => sum + (stat?.bytes ?? 0),
    0,
  );
  facts.push(['stored', bytesLabel(total)]);
  if (detail.main) facts.push(['location', detail.main.location]);
  const width = Math.max(...facts.map(([label]) => textWidth(label)));
  return facts.map(([label, value]) => `${padText(label, width)}  ${value}`);
}
