import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES } from '../../test/support/file-samples.js';
import { SNIFF_BYTES, mimeFor, nameForContent, sniffBytes, sniffFile } from './kinds.js';
import { MAX_NAME_BYTES } from './names.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-kinds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sniffOf(bytes: Buffer) {
  const path = join(dir, `f-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, bytes);
  return sniffFile(path);
}

describe('sniffFile: the kind comes from the content', () => {
  it.each([
    ['png', 'image', 'png'],
    ['jpeg', 'image', 'jpg'],
    ['gif', 'image', 'gif'],
    ['webp', 'image', 'webp'],
    ['pdf', 'pdf', 'pdf'],
    ['zip', 'other', 'zip'],
    ['gzip', 'other', 'gz'],
    ['text', 'text', undefined],
  ] as const)('%s → %s', async (sample, kind, ext) => {
    expect(await sniffOf(SAMPLES[sample])).toEqual({ kind, ext });
  });

  it('calls bytes with NUL or invalid UTF-8 binary', async () => {
    expect(await sniffOf(Buffer.from('abc\u0000def'))).toEqual({ kind: 'other', ext: undefined });
    expect(await sniffOf(Buffer.from([0x61, 0xff, 0xfe, 0x61]))).toEqual({ kind: 'other', ext: undefined });
  });

  it('a whole file ending in half a character is not text', async () => {
    expect(await sniffOf(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toEqual({ kind: 'other', ext: undefined });
  });

  it('text whose multi-byte character is cut by the 64 KB sample edge is still text', async () => {
    // '€' (3 bytes) completes just before the edge, '😀' (4 bytes) starts 2 bytes before it.
    const head = Buffer.alloc(SNIFF_BYTES - 5, 'a');
    const file = Buffer.concat([head, Buffer.from('€😀'), Buffer.from(' tail\n')]);
    expect(file.subarray(0, SNIFF_BYTES).at(-1)).toBe(0x9f); // the sample ends inside '😀'
    expect(await sniffOf(file)).toEqual({ kind: 'text', ext: undefined });
    for (let shift = 0; shift < 4; shift++) {
      const moved = Buffer.concat([Buffer.alloc(SNIFF_BYTES - 2 - shift, 'b'), Buffer.from('日本語😀\n')]);
      expect(await sniffOf(moved)).toEqual({ kind: 'text', ext: undefined });
    }
  });

  it('an exactly 64 KB text file is text', async () => {
    expect(await sniffOf(Buffer.alloc(SNIFF_BYTES, 'x'))).toEqual({ kind: 'text', ext: undefined });
  });

  it('sniffBytes of nothing is text (ingest refuses empty files before)', async () => {
    expect(await sniffBytes(new Uint8Array(0), false)).toEqual({ kind: 'text', ext: undefined });
  });
});

describe('nameForContent: the name never lies about the content', () => {
  it.each([
    ['notes.txt', 'png', 'notes.txt.png'],
    ['x.png', 'text', 'x.png.txt'],
    ['x.pdf', 'text', 'x.pdf.txt'],
    ['report.JPEG', 'jpeg', 'report.JPEG'],
    ['photo.jpg', 'jpeg', 'photo.jpg'],
    ['chart', 'png', 'chart.png'],
    ['app.log', 'text', 'app.log'],
    ['values.yaml', 'text', 'values.yaml'],
    ['README', 'text', 'README.txt'],
    ['runbook', 'pdf', 'runbook.pdf'],
    ['backup.zip', 'zip', 'backup.zip'],
    ['backup.txt', 'gzip', 'backup.txt.gz'],
  ] as const)('%s holding %s → %s', async (name, sample, expected) => {
    expect(nameForContent(name, await sniffOf(SAMPLES[sample]))).toBe(expected);
  });

  it('stays within 120 bytes when an extension is added to a long name', () => {
    const long = `${'n'.repeat(116)}.txt`;
    const named = nameForContent(long, { kind: 'image', ext: 'png' });
    expect(Buffer.byteLength(named)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(named.endsWith('.png')).toBe(true);
  });
});

describe('mimeFor', () => {
  it.each([
    ['a.png', 'image', 'image/png'],
    ['a.JPEG', 'image', 'image/jpeg'],
    ['a.pdf', 'pdf', 'application/pdf'],
    ['a.json', 'text', 'application/json'],
    ['a.csv', 'text', 'text/csv'],
    ['a.log', 'text', 'text/plain'],
    ['page.html', 'text', 'text/plain'],
    ['icon.svg', 'text', 'text/plain'],
    ['feed.xml', 'text', 'text/plain'],
    ['a.zip', 'other', 'application/octet-stream'],
  ] as const)('%s (%s) → %s', (name, kind, mime) => {
    expect(mimeFor(name, kind)).toBe(mime);
  });
});
