import { describe, expect, it } from 'vitest';
import { CALLBACK_DATA_LIMIT, parseSessionData } from '../session-data.js';
import { TELEGRAM_TEXT_LIMIT } from './format.js';
import { titleOf, when } from './conversation-texts.js';
import { sessionsMessage } from './conversations.js';
import type { SessionEntry } from './types.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0);
const MIN = 60_000;

function session(n: number, overrides: Partial<SessionEntry> = {}): SessionEntry {
  return {
    sessionId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    createdAt: NOW - n * 60 * MIN,
    updatedAt: NOW - n * 30 * MIN,
    turns: n,
    title: `question ${n}`,
    costUsd: n / 100,
    history: 'available',
    current: false,
    ...overrides,
  };
}

describe('when a session was last used', () => {
  it('is relative within a day, a UTC date and time this year, a date before', () => {
    expect(when(NOW - 10_000, NOW)).toBe('just now');
    expect(when(NOW - 5 * MIN, NOW)).toBe('5 min ago');
    expect(when(NOW - 23 * 60 * MIN, NOW)).toBe('23 h ago');
    expect(when(Date.UTC(2026, 10, 1, 14, 5), NOW)).toBe('1 Nov 14:05 UTC');
    expect(when(Date.UTC(2025, 1, 28, 23, 59), NOW)).toBe('28 Feb 2025');
  });
});

describe('titles', () => {
  it('are one line, cut with an ellipsis, and never empty', () => {
    expect(titleOf({ title: ' a\n\tb  c ', sessionId: 'x' }, 10)).toBe('a b c');
    expect(titleOf({ title: 'abcdefghijkl', sessionId: 'x' }, 6)).toBe('abcde…');
    expect(titleOf({ title: '🙂'.repeat(8), sessionId: 'x' }, 4)).toBe('🙂🙂🙂…');
    expect(titleOf({ title: '', sessionId: '0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d' }, 40)).toBe(
      '(untitled session 0b9a1c2d)',
    );
  });
});

describe('the /sessions message', () => {
  it('says there are none, without buttons', () => {
    expect(sessionsMessage({ current: null, sessions: [] }, NOW)).toEqual({
      text: 'No sessions yet in this conversation: send a message to start one.',
      keyboard: [],
    });
  });

  it('numbers the others, marks the current one, and has buttons only for sessions that can be continued', () => {
    const page = {
      current: session(1).sessionId,
      sessions: [
        session(1, { current: true }),
        session(2),
        session(3, { history: 'missing' }),
        session(4, { history: 'expired' }),
      ],
    };
    const { text, keyboard } = sessionsMessage(page, NOW);
    expect(text).toBe(
      [
        'Sessions in this conversation (newest first):',
        '',
        '▶ 30 min ago · 1 turn · $0.0100 · current',
        '   question 1',
        '1. 1 h ago · 2 turns · $0.0200',
        '   question 2',
        '2. 1 h ago · 3 turns · $0.0300 · deleted',
        '   question 3',
        '3. 2 h ago · 4 turns · $0.0400 · expired',
        '   question 4',
        '',
        'Tap a button to continue an earlier session; /new starts a fresh one.',
      ].join('\n'),
    );
    expect(keyboard).toEqual([[{ text: '↩ question 2', callback_data: `ss:${session(2).sessionId}` }]]);
  });

  it('after /new says the conversation is on a fresh session; with nothing to continue, says so', () => {
    const { text, keyboard } = sessionsMessage(
      { current: null, sessions: [session(1, { history: 'expired' })] },
      NOW,
    );
    expect(text).toContain('Now: a fresh session');
    expect(text).toContain('No earlier session here can be continued.');
    expect(keyboard).toEqual([]);
  });

  it('fits 20 sessions with the longest, widest titles into one message, every button within 64 bytes', () => {
    const sessions = Array.from({ length: 20 }, (_, i) =>
      session(i + 1, { title: '🙂'.repeat(120), turns: 99_999, costUsd: 12_345.6789 }),
    );
    const { text, keyboard } = sessionsMessage({ current: null, sessions }, NOW);
    expect(text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    expect(keyboard).toHaveLength(20);
    for (const [button] of keyboard) {
      const data = button?.callback_data ?? '';
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
      expect(parseSessionData(data)).toBeDefined();
      expect([...String(button?.text)].length).toBeLessThanOrEqual(34);
    }
  });
});
