import { describe, expect, it } from 'vitest';
import { updateFor } from './head.js';
import type { HeadItem } from './schema.js';

const head: HeadItem = {
  pk: 'acme',
  sk: 'head#acme#s#',
  kind: 'head',
  gen: 'g',
  seq: 4,
  entries: 10,
  bytes: 1000,
  createdAt: 1,
  mtime: 1,
  ttl: 9,
  segments: [],
  parts: ['1.aa', '3.bb'],
  partBytes: 900,
  partsAt: 1,
  tail: ['{"a":1}'],
};

describe('updateFor', () => {
  it('sends only changed attributes, appends grown lists, and is conditional on seq', () => {
    const next: HeadItem = {
      ...head,
      seq: 5,
      entries: 12,
      bytes: 1200,
      mtime: 2,
      parts: [...head.parts, '5.cc'],
      tail: [],
    };
    const u = updateFor(head, next);
    expect(u.ConditionExpression).toBe('#seq = :expectedSeq');
    expect(u.ExpressionAttributeValues[':expectedSeq']).toBe(4);
    expect(u.UpdateExpression).toContain('#parts = list_append(#parts, :parts)');
    expect(u.ExpressionAttributeValues[':parts']).toEqual(['5.cc']);
    expect(u.ExpressionAttributeValues[':tail']).toEqual([]);
    expect(u.ExpressionAttributeNames).not.toHaveProperty('#gen');
    expect(u.ExpressionAttributeNames).not.toHaveProperty('#segments');
    expect(u.ExpressionAttributeNames).not.toHaveProperty('#pk');
  });

  it('replaces a list that did not only grow (compaction) and removes dropped attributes', () => {
    const next: HeadItem = {
      ...head,
      parts: [],
      partBytes: 0,
      segments: [{ name: 's', entries: 9, bytes: 900, at: 2 }],
    };
    const withSummary = { ...head, summary: '{}' };
    const u = updateFor(withSummary, next);
    expect(u.UpdateExpression).toMatch(/#parts = :parts/);
    expect(u.UpdateExpression).toMatch(/REMOVE #summary/);
    expect(u.ExpressionAttributeNames).not.toHaveProperty('#seq_');
  });
});
