import { describe, expect, it } from 'vitest';
import { clipHead, clipTail } from './clip.js';

describe('clip', () => {
  it('keeps short text as it is', () => {
    expect(clipTail('hello')).toBe('hello');
    expect(clipHead('aws ec2 describe', 40)).toBe('aws ec2 describe');
  });

  it('shows the newest 4096 characters of a long stream, with an ellipsis', () => {
    const text = `${'a'.repeat(5000)}END`;
    const clipped = clipTail(text);
    expect(clipped).toHaveLength(4096);
    expect(clipped.startsWith('…')).toBe(true);
    expect(clipped.endsWith('aEND')).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(3000);
    const clipped = clipTail(text);
    expect(clipped.length).toBeLessThanOrEqual(4096);
    expect(clipped.slice(1)).toBe('😀'.repeat((clipped.length - 1) / 2));
    expect(clipHead('😀😀😀😀', 4)).toBe('😀…');
  });

  it('flattens whitespace in a one-line summary and cuts it with an ellipsis', () => {
    expect(clipHead('aws ec2\n  describe-instances --region eu-west-1', 20)).toBe('aws ec2 describe-in…');
  });
});
