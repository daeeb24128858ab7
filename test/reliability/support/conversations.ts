import type { Update } from 'grammy/types';
import { conversationKey, type ConversationKey } from '../../../src/core/keys.js';
import type { Storage } from '../../../src/sessions/types.js';
import type { FakeTelegramApi } from '../../fakes/telegram-api.js';
import { FORUM, USER, privateText, topicText } from '../../telegram/updates.js';
import { checkConversation } from './transcripts.js';

/**
 * Conversations for the reliability suites: private chats of distinct users and forum topics,
 * each with unique message texts, and the checks that prove nothing was lost, duplicated or
 * reordered — from the stored transcripts AND from what the fake Telegram API received.
 */
export interface TestConversation {
  name: string;
  key: ConversationKey;
  chatId: number;
  threadId?: number;
  /** Texts in the order the user sends them. */
  texts: string[];
  /** A real Update JSON for message `i`. */
  update(i: number): Update;
}

let nextBase = 0;

/**
 * `count` fresh conversations (never reused within the process: distinct user ids and topic ids)
 * with `perConversation` unique texts each. `update(i)` always returns the same Update (same
 * `update_id`), so posting it again is a re-delivery.
 */
export function makeConversations(count: number, perConversation: number, tag: string): TestConversation[] {
  const base = nextBase;
  nextBase += count;
  return Array.from({ length: count }, (_, c) => {
    const n = base + c;
    const texts = Array.from({ length: perConversation }, (_, i) => `${tag} c${c} m${i}`);
    const updates = new Map<number, Update>();
    const memo = (i: number, make: () => Update): Update => {
      const known = updates.get(i);
      if (known) return known;
      const update = make();
      updates.set(i, update);
      return update;
    };
    if (c % 3 === 2) {
      const threadId = 100 + n;
      return {
        name: `topic ${threadId}`,
        key: conversationKey({ tenant: 'default', chat: FORUM.id, thread: threadId }),
        chatId: FORUM.id,
        threadId,
        texts,
        update: (i: number) => memo(i, () => topicText(threadId, texts[i] as string)),
      };
    }
    const user = { ...USER, id: 5000 + n, username: `user${n}` };
    return {
      name: `private ${user.id}`,
      key: conversationKey({ tenant: 'default', chat: user.id }),
      chatId: user.id,
      texts,
      update: (i: number) => memo(i, () => privateText(texts[i] as string, user)),
    };
  });
}

/** Strip MarkdownV2 escapes: what the user reads. */
export const unescapeMarkdown = (s: string): string => s.replace(/\\([\s\S])/g, '$1');

/** "I was shown N earlier user messages" of a demo-model reply; undefined for any other text. */
export function earlierCount(reply: string): number | undefined {
  const match = /I was shown (no|\d+) earlier user message/.exec(reply);
  if (!match) return undefined;
  return match[1] === 'no' ? 0 : Number(match[1]);
}

/** The quoted prompt of a demo-model reply (`You said: "…"`). */
export function saidText(reply: string): string | undefined {
  return /You said: "([^"]*)"/.exec(reply)?.[1];
}

export function repliesOf(api: FakeTelegramApi, conv: TestConversation): string[] {
  return api
    .sentTexts({ chatId: conv.chatId, ...(conv.threadId !== undefined ? { threadId: conv.threadId } : {}) })
    .map(unescapeMarkdown);
}

export interface DeliveryReport {
  sent: number;
  /** Messages with no reply quoting them. */
  lost: number;
  /** Extra replies quoting a message already answered. */
  duplicateReplies: number;
  /** Conversations whose replies came out of order, or saw the wrong number of earlier messages. */
  orderViolations: number;
  /** Stored user entries missing from a transcript. */
  lostTurns: number;
  /** Stored user entries beyond one per message. */
  duplicateTurns: number;
  /** Transcripts that failed to load or whose chain is broken. */
  corruptTranscripts: number;
  /** Human-readable details for the assertion message. */
  details: string[];
}

/**
 * Compare what each conversation sent with (a) the replies the fake Bot API received — one per
 * message, in order, the n-th reply having seen n earlier messages — and (b) the stored
 * transcript: each text exactly once, in order, chain intact, and the map counting every turn.
 */
export async function checkDelivery(
  api: FakeTelegramApi,
  storage: Storage,
  conversations: readonly TestConversation[],
): Promise<DeliveryReport> {
  const r: DeliveryReport = {
    sent: 0,
    lost: 0,
    duplicateReplies: 0,
    orderViolations: 0,
    lostTurns: 0,
    duplicateTurns: 0,
    corruptTranscripts: 0,
    details: [],
  };
  for (const conv of conversations) {
    r.sent += conv.texts.length;
    const replies = repliesOf(api, conv);
    const said = replies.map(saidText);
    for (const text of conv.texts) {
      const n = said.filter((s) => s === text).length;
      if (n === 0) r.lost++;
      if (n > 1) r.duplicateReplies += n - 1;
    }
    const expectedOrder = conv.texts.map((t, i) => `${i}:${t}`).join('|');
    const actualOrder = replies
      .map((reply, i) => `${earlierCount(reply) ?? '?'}:${said[i] ?? '?'}`)
      .join('|');
    if (actualOrder !== expectedOrder) {
      r.orderViolations++;
      const others = replies
        .filter((_, i) => said[i] === undefined)
        .map((t) => JSON.stringify(t.slice(0, 80)));
      r.details.push(
        `${conv.name} replies: ${actualOrder} (expected ${expectedOrder})` +
          (others.length > 0 ? `; other replies: ${others.join(', ')}` : ''),
      );
    }
    const stored = await checkConversation(storage, conv.key);
    if (stored.problems.length > 0) {
      r.corruptTranscripts++;
      r.details.push(`${conv.name} transcript: ${stored.problems.join('; ')}`);
    }
    let missing = 0;
    let extra = 0;
    for (const text of conv.texts) {
      const n = stored.userTexts.filter((s) => s === text).length;
      if (n === 0) missing++;
      if (n > 1) extra += n - 1;
    }
    r.lostTurns += missing;
    r.duplicateTurns += extra;
    const inOrder = stored.userTexts.join('|') === conv.texts.join('|');
    if (!inOrder && missing + extra === 0) r.orderViolations++;
    if (!inOrder || stored.turns !== conv.texts.length) {
      r.details.push(
        `${conv.name} stored user entries ${JSON.stringify(stored.userTexts)}, map turns ${stored.turns}`,
      );
    }
  }
  return r;
}

/** The loss/duplicate/order/corruption counts of a report, as printed in every figures block. */
export function deliveryCounts(report: DeliveryReport): Record<string, number> {
  return {
    'messages sent': report.sent,
    lost: report.lost,
    'duplicate replies': report.duplicateReplies,
    'order violations': report.orderViolations,
    'lost turns (transcript)': report.lostTurns,
    'duplicate turns (transcript)': report.duplicateTurns,
    'corrupt transcripts': report.corruptTranscripts,
  };
}

/**
 * Pipeline settings of the reliability suites: a turn and a sent reply per message, so every
 * message can be counted (merged turns and live replies have their own tests: queue conformance,
 * `test/e2e/live.test.ts`, `test/telegram/e2e-live.test.ts`, `test/telegram/live.test.ts`).
 */
export const ONE_REPLY_PER_MESSAGE = {
  policy: { busyMessages: 'one-by-one' },
  live: { enabled: false },
} as const;
