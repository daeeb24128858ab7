import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES, extensionOf, isSanitizedName, sanitizeFileName } from './names.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** With the `u` flag a surrogate range matches only unpaired halves. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const BIDI_OR_ZERO_WIDTH = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u;

/** Strings rich in what attackers use: separators, dots, controls, bidi and zero-width characters. */
const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc
    .array(
      fc.constantFrom(
        '/',
        '\\',
        '.',
        '..',
        ' ',
        '\u0000',
        '\n',
        '\u202e',
        '\u200b',
        '\ufeff',
        'a',
        'é',
        'e\u0301',
        '😀',
        ':',
        '*',
        'txt',
        '\ud800',
      ),
      { maxLength: 80 },
    )
    .map((parts) => parts.join('')),
);

describe('sanitizeFileName', () => {
  it('makes any string a safe, non-empty name of at most 120 UTF-8 bytes', () => {
    fc.assert(
      fc.property(hostile, (raw) => {
        const name = sanitizeFileName(raw);
        expect(name.length).toBeGreaterThan(0);
        expect(Buffer.byteLength(name, 'utf8')).toBeLessThanOrEqual(MAX_NAME_BYTES);
        for (const bad of ['/', '\\', '\u0000']) expect(name).not.toContain(bad);
        expect(name).not.toMatch(CONTROL);
        expect(name).not.toMatch(BIDI_OR_ZERO_WIDTH);
        expect(name).not.toMatch(/^\./);
        expect(['.', '..']).not.toContain(name);
        expect(name).toBe(name.normalize('NFC'));
        expect(name).not.toMatch(LONE_SURROGATE);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent: a sanitised name is kept as it is', () => {
    fc.assert(
      fc.property(hostile, (raw) => {
        const name = sanitizeFileName(raw);
        expect(sanitizeFileName(name)).toBe(name);
        expect(isSanitizedName(name)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['../../x', 'x'],
    ['/etc/passwd', 'passwd'],
    ['C:\\Windows\\system32\\cmd.exe', 'cmd.exe'],
    ['..', 'file'],
    ['.', 'file'],
    ['.env', 'env'],
    ['...hidden.txt', 'hidden.txt'],
    ['report.pdf\u0000.exe', 'report.pdf.exe'],
    ['invoice\u202etxt.exe', 'invoicetxt.exe'],
    ['a\u200bb\ufeff.log', 'ab.log'],
    ['  spaced   out  .txt  ', 'spaced out .txt'],
    ['name.', 'name'],
    ['what?<is>this|*.txt', 'what__is_this__.txt'],
    ['', 'file'],
    ['/', 'file'],
    ['NUL', '_NUL'],
    ['con.txt', '_con.txt'],
    ['console.log', 'console.log'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it('uses the fallback for nothing usable', () => {
    expect(sanitizeFileName(undefined, 'photo')).toBe('photo');
    expect(sanitizeFileName('\u202e/..', 'photo')).toBe('photo');
  });

  it('cuts a 300-character name to 120 bytes and keeps its extension', () => {
    const name = sanitizeFileName(`${'a'.repeat(296)}.log`);
    expect(name).toBe(`${'a'.repeat(116)}.log`);
    const wide = sanitizeFileName(`${'ж'.repeat(300)}.csv`);
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(wide.endsWith('.csv')).toBe(true);
    const emoji = sanitizeFileName(`${'😀'.repeat(100)}.json`);
    expect(emoji.endsWith('.json')).toBe(true);
    expect(emoji).not.toMatch(LONE_SURROGATE); // never half a surrogate pair
  });

  it('does not leave a trailing dot or space where the cut falls', () => {
    const cut = sanitizeFileName(`${'a'.repeat(118)}. .${'b'.repeat(40)}`);
    expect(cut).not.toMatch(/[.\s]$/);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_NAME_BYTES);
  });
});

describe('extensionOf', () => {
  it('is the lower-case part after the last dot, none for a leading dot only', () => {
    expect(extensionOf('report.JPEG')).toBe('jpeg');
    expect(extensionOf('archive.tar.gz')).toBe('gz');
    expect(extensionOf('Makefile')).toBe('');
    expect(extensionOf('.bashrc')).toBe('');
  });
});
