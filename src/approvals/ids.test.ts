import { describe, expect, it } from 'vitest';
import { isApprovalId, newApprovalId, parseApprovalId } from './ids.js';

describe('approval ids', () => {
  it('are 22 base64url characters that never start with "-" or "_" (they are CLI arguments)', () => {
    const ids = Array.from({ length: 5000 }, () => newApprovalId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
      expect(parseApprovalId(id)).toBe(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses anything else with a clear message', () => {
    for (const bad of [
      '-'.repeat(22),
      `_${'a'.repeat(21)}`,
      'a'.repeat(21),
      'a'.repeat(23),
      '../x',
      `a\0${'b'.repeat(20)}`,
      42,
    ]) {
      expect(isApprovalId(bad)).toBe(false);
      expect(() => parseApprovalId(bad)).toThrow(/invalid approval id/);
    }
  });
});
