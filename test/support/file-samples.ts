import { gzipSync } from 'node:zlib';

/**
 * Small but real files of each kind `sniffFile` recognises (what `file-type` needs to see), for
 * tests of the file core and of the front ends that receive files.
 */
export const SAMPLES = {
  /** A 1×1 PNG. */
  png: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
  /** A JFIF header. */
  jpeg: Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    Buffer.alloc(100),
  ]),
  gif: Buffer.concat([Buffer.from('GIF89a'), Buffer.from([1, 0, 1, 0, 0, 0, 0]), Buffer.alloc(50)]),
  webp: Buffer.concat([
    Buffer.from('RIFF'),
    Buffer.from([40, 0, 0, 0]),
    Buffer.from('WEBPVP8 '),
    Buffer.alloc(40),
  ]),
  pdf: Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1'),
  /** A zip holding `a.txt` = `hello` (stored). */
  zip: Buffer.concat([
    Buffer.from([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.alloc(4),
    Buffer.from([5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0]),
    Buffer.from('a.txthello'),
    Buffer.from([0x50, 0x4b, 5, 6]),
    Buffer.alloc(18),
  ]),
  gzip: gzipSync('hello world\n'),
  text: Buffer.from('2026-12-01T12:00:00Z ERROR db-1 connection refused — retrying (ü, 日本, 😀)\n'),
} as const;
