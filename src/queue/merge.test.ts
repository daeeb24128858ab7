import { describe, expect, it } from 'vitest';
import { queuedMessage, textOf } from './conformance.js';
import {
  coalesce,
  MAX_ALBUM_PARTS,
  MAX_MERGED_CHARS,
  MAX_MERGED_ITEMS,
  mergeAll,
  type Pending,
} from './merge.js';
import type { ApprovalId } from '../approvals/types.js';
import type { AgentWork, QueuedMessage } from './types.js';
import { updateIdOf } from './message.js';

const pending = (message: QueuedMessage | undefined, firstDelivery = true): Pending<string> => ({
  item: message ? textOf(message) || message.kind : 'garbage',
  message,
  firstDelivery,
});

const texts = (units: ReturnType<typeof coalesce<string>>): string[] =>
  units.map((u) => (u.message ? textOf(u.message) : 'undecodable'));

describe('coalesce (busy messages merged into one turn)', () => {
  it('merges consecutive first deliveries of one conversation, and keeps the queue’s item untouched', () => {
    const first = queuedMessage('1', 1);
    const units = coalesce(
      [pending(first), pending(queuedMessage('1', 2)), pending(queuedMessage('1', 3))],
      mergeAll,
    );
    expect(texts(units)).toEqual(['m1+m2+m3']);
    expect(units[0]?.items).toEqual(['m1', 'm2', 'm3']);
    expect(first.kind === 'agent' && first.merged).toBeFalsy();
  });

  it('never merges a re-delivered item (a turn run again is not regrouped), nor into one', () => {
    const units = coalesce(
      [
        pending(queuedMessage('1', 1), false),
        pending(queuedMessage('1', 2)),
        pending(queuedMessage('1', 3), false),
      ],
      mergeAll,
    );
    expect(texts(units)).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps other conversations, commands and undecodable items apart, in order', () => {
    const { key, source } = queuedMessage('1', 3);
    const units = coalesce(
      [
        pending(queuedMessage('1', 1)),
        pending(queuedMessage('2', 2)),
        pending({ kind: 'reset', key, source }),
        pending(queuedMessage('1', 4)),
        pending(undefined),
        pending(queuedMessage('1', 5)),
      ],
      mergeAll,
    );
    expect(texts(units)).toEqual(['m1', 'm2', 'reset', 'm4', 'undecodable', 'm5']);
  });

  it('never merges an approval decision with agent items, before or after it', () => {
    const { key, source } = queuedMessage('1', 2);
    const approval: QueuedMessage = {
      kind: 'approval',
      key,
      source,
      approvalId: 'AAAAAAAAAAAAAAAAAAAAAA' as ApprovalId,
      decision: 'allow_once',
    };
    const units = coalesce(
      [
        pending(queuedMessage('1', 1)),
        pending(approval),
        pending(queuedMessage('1', 3)),
        pending(queuedMessage('1', 4)),
      ],
      mergeAll,
    );
    expect(texts(units)).toEqual(['m1', 'approval', 'm3+m4']);
    expect(units[1]?.message?.kind).toBe('approval');
  });

  it('honours the one-by-one setting per tenant', () => {
    const units = coalesce(
      [pending(queuedMessage('1', 1)), pending(queuedMessage('1', 2))],
      () => 'one-by-one',
    );
    expect(texts(units)).toEqual(['m1', 'm2']);
  });

  it(`caps a merged turn at ${MAX_MERGED_ITEMS} items and ${MAX_MERGED_CHARS} characters`, () => {
    const many = Array.from({ length: MAX_MERGED_ITEMS + 2 }, (_, i) => pending(queuedMessage('1', i + 1)));
    expect(coalesce(many, mergeAll).map((u) => u.items.length)).toEqual([MAX_MERGED_ITEMS, 2]);
    const big = 'x'.repeat(MAX_MERGED_CHARS / 2);
    const large = [1, 2, 3].map((i) => pending(queuedMessage('1', i, big)));
    expect(coalesce(large, mergeAll).map((u) => u.items.length)).toEqual([2, 1]);
  });

  describe('albums (parts of one media group)', () => {
    /** Album part `n` of group `g`: message id 100 + n, its own photo (or another part's, `file`). */
    const part = (updateId: number, n: number, g = 'g1', file = `u${n}`): AgentWork => ({
      ...(queuedMessage('1', updateId, n === 1 ? 'caption one' : '') as AgentWork),
      attachments: [{ kind: 'photo', fileId: `f${n}`, fileUniqueId: file, size: 10, messageId: 100 + n }],
      mediaGroupId: g,
    });
    const files = (m: QueuedMessage | undefined): string[] =>
      m?.kind === 'agent'
        ? [m, ...(m.merged ?? [])].flatMap((w) => (w.attachments ?? []).map((a) => a.fileId))
        : [];
    const oneByOne = () => 'one-by-one' as const;
    /** Items named by update id (album parts have no distinct texts). */
    const pending = (message: QueuedMessage, firstDelivery = true): Pending<string> => ({
      item: `m${updateIdOf(message)}`,
      message,
      firstDelivery,
    });

    it('joins the parts into one turn even when the tenant answers one by one, in message order', () => {
      const units = coalesce([pending(part(7, 3)), pending(part(5, 1)), pending(part(6, 2))], oneByOne);
      expect(units).toHaveLength(1);
      expect(units[0]?.items).toHaveLength(3);
      expect(files(units[0]?.message)).toEqual(['f1', 'f2', 'f3']);
      // The earliest part heads the turn: its caption comes first.
      expect(units[0]?.message?.kind === 'agent' && units[0].message.text).toBe('caption one');
    });

    it('counts a part delivered twice (another update, same files) once, and acknowledges both items', () => {
      const units = coalesce(
        [pending(part(5, 2)), pending(part(6, 1)), pending(part(9, 2)), pending(part(7, 3))],
        oneByOne,
      );
      expect(units).toHaveLength(1);
      expect(units[0]?.items).toEqual(['m5', 'm6', 'm9', 'm7']);
      expect(files(units[0]?.message)).toEqual(['f1', 'f2', 'f3']);
    });

    it('keeps a one-by-one tenant’s text and other albums out of the album’s turn', () => {
      const units = coalesce(
        [
          pending(queuedMessage('1', 1)),
          pending(part(2, 1)),
          pending(part(3, 2)),
          pending(queuedMessage('1', 4)),
          pending(part(5, 1, 'g2', 'v1')),
          pending(part(6, 2, 'g2', 'v2')),
        ],
        oneByOne,
      );
      expect(units.map((u) => u.items)).toEqual([['m1'], ['m2', 'm3'], ['m4'], ['m5', 'm6']]);
    });

    it('lets a merging tenant’s waiting text join the album turn, the album sorted within it', () => {
      const units = coalesce(
        [
          pending(queuedMessage('1', 1)),
          pending(part(3, 2)),
          pending(part(2, 1)),
          pending(queuedMessage('1', 4)),
        ],
        mergeAll,
      );
      expect(units).toHaveLength(1);
      expect(texts(units)).toEqual(['m1+caption one++m4']);
      expect(files(units[0]?.message)).toEqual(['f1', 'f2']);
    });

    it('never joins a re-delivered part, another conversation’s part, or beyond an album’s size', () => {
      expect(coalesce([pending(part(1, 1)), pending(part(2, 2), false)], oneByOne)).toHaveLength(2);
      const other = { ...part(2, 2), key: queuedMessage('2', 2).key };
      expect(coalesce([pending(part(1, 1)), pending(other)], oneByOne)).toHaveLength(2);
      const many = Array.from({ length: MAX_ALBUM_PARTS + 1 }, (_, i) => pending(part(i + 1, i + 1)));
      expect(coalesce(many, oneByOne).map((u) => u.items.length)).toEqual([MAX_ALBUM_PARTS, 1]);
    });
  });
});
