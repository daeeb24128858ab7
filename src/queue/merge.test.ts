import { describe, expect, it } from 'vitest';
import { queuedMessage, textOf } from './conformance.js';
import { coalesce, MAX_MERGED_CHARS, MAX_MERGED_ITEMS, mergeAll, type Pending } from './merge.js';
import type { ApprovalId } from '../approvals/types.js';
import type { QueuedMessage } from './types.js';

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
});
