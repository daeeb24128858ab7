import { describe, expect, it } from 'vitest';
import { fitText, padText, textWidth } from './text-width.js';

describe('terminal text width', () => {
  it('counts wide characters as two columns, marks as none, a grapheme once', () => {
    expect(textWidth('abc')).toBe(3);
    expect(textWidth('障害')).toBe(4);
    expect(textWidth('🚨')).toBe(2);
    expect(textWidth('👩‍💻')).toBe(2);
    expect(textWidth('🇩🇪')).toBe(2);
    expect(textWidth('e\u0301')).toBe(1);
    expect(textWidth('ＡＢ')).toBe(4);
    expect(textWidth('1')).toBe(1);
  });

  it('cuts to at most the width with "…", never inside a grapheme', () => {
    expect(fitText('short', 10)).toBe('short');
    expect(fitText('abcdefghij', 5)).toBe('abcd…');
    expect(fitText('障害報告', 5)).toBe('障害…');
    expect(textWidth(fitText('障害報告', 4))).toBeLessThanOrEqual(4);
    expect(fitText('a👩‍💻b', 3)).toBe('a…');
    expect(fitText('anything', 0)).toBe('');
    expect(padText('障', 4)).toBe('障  ');
  });
});
