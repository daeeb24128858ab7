import { DAY_MS } from '../../core/clock.js';
import { parseChatId, parseThreadId, type ChatId, type ThreadId } from '../../core/ids.js';
import type { SessionInfo } from '../../sessions/types.js';

/**
 * The conversations page's search (`?chat=&thread=&from=&to=&page=`), read from untrusted query
 * parameters: each field validated, every problem a sentence for the page (never a 500).
 */

export interface SessionSearch {
  chat?: ChatId;
  thread?: ThreadId;
  /** `YYYY-MM-DD` (UTC), inclusive. */
  from?: string;
  to?: string;
  page: number;
}

export interface SearchReading {
  search: SessionSearch;
  /** What the form shows back (as typed, bounded), so a refused value can be corrected. */
  typed: Record<'chat' | 'thread' | 'from' | 'to', string>;
  problems: string[];
}

/** Sessions per page. */
export const PAGE_SIZE = 25;
/** The catalog's listing bound (newest first): a search looks at the newest this many of the tenant. */
export const SEARCH_WINDOW = 1000;
const MAX_TYPED = 200;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayStart(value: string): number | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // `2026-02-31` rolls over to March: refused.
  return new Date(ms).toISOString().slice(0, 10) === value ? ms : undefined;
}

export function readSearch(query: (name: string) => string | undefined): SearchReading {
  const typed = {
    chat: (query('chat') ?? '').trim().slice(0, MAX_TYPED),
    thread: (query('thread') ?? '').trim().slice(0, MAX_TYPED),
    from: (query('from') ?? '').trim().slice(0, MAX_TYPED),
    to: (query('to') ?? '').trim().slice(0, MAX_TYPED),
  };
  const problems: string[] = [];
  const search: SessionSearch = { page: 1 };
  if (typed.chat) {
    try {
      search.chat = parseChatId(typed.chat);
    } catch {
      problems.push(
        'Chat: use up to 64 letters, digits, "_" and "-" (an optional leading "-" for Telegram groups).',
      );
    }
  }
  if (typed.thread) {
    if (!typed.chat) problems.push('Thread: give the chat too (a thread belongs to one chat).');
    try {
      search.thread = parseThreadId(typed.thread);
    } catch {
      problems.push('Thread: use up to 64 letters, digits, "_" and "-".');
    }
  }
  for (const field of ['from', 'to'] as const) {
    if (!typed[field]) continue;
    if (dayStart(typed[field]) === undefined)
      problems.push(`${field === 'from' ? 'From' : 'To'}: give a date as YYYY-MM-DD.`);
    else search[field] = typed[field];
  }
  if (search.from && search.to && search.from > search.to) problems.push('From must not be after To.');
  const page = query('page');
  if (page !== undefined && page !== '') {
    if (/^[0-9]{1,4}$/.test(page) && Number(page) >= 1) search.page = Number(page);
    else problems.push('Page: a whole number from 1.');
  }
  return { search, typed, problems };
}

/** Whether a session was active within the search's days (its first..last turn overlaps them). */
export function withinDates(
  info: Pick<SessionInfo, 'createdAt' | 'updatedAt'>,
  search: SessionSearch,
): boolean {
  const from = search.from ? dayStart(search.from) : undefined;
  const to = search.to ? dayStart(search.to) : undefined;
  if (from !== undefined && info.updatedAt < from) return false;
  if (to !== undefined && info.createdAt >= to + DAY_MS) return false;
  return true;
}
