import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FileStoreHarness } from '../conformance.js';
import { T0, chatKey, drain, putBytes, useFileSubject } from './fixtures.js';

/** put → list/get/open give back the record and the exact bytes, in creation order. */
export function roundTripTests(harness: FileStoreHarness): void {
  describe('round trip', () => {
    const subject = useFileSubject(harness);

    it('gives back the record and streams the exact bytes, also in the raw backend', async () => {
      const s = subject();
      const key = chatKey();
      const bytes = randomBytes(300 * 1024);
      const file = await putBytes(s, key, bytes, {
        name: 'Grafana – CPU ä.png',
        kind: 'image',
        direction: 'out',
      });
      expect(file.mime).toBe('image/png');
      expect(await s.store.list(key)).toEqual([file]);
      expect(await s.store.get(key, file.id)).toEqual(file);
      const opened = await s.store.open(key, file.id);
      expect(opened?.file).toEqual(file);
      expect(opened?.body).toBeInstanceOf(Readable);
      expect((await drain(opened!.body)).equals(bytes)).toBe(true);
      expect((await s.raw.readBytes(file))?.equals(bytes)).toBe(true);
    });

    it('keeps every kind and direction, and an empty conversation lists nothing', async () => {
      const s = subject();
      const key = chatKey(undefined, '4242', '17');
      expect(await s.store.list(key)).toEqual([]);
      const files = [
        await putBytes(s, key, '%PDF-1.7 …', { kind: 'pdf', name: 'runbook.pdf', createdAt: T0 + 1 }),
        await putBytes(s, key, '{"a":1}', { kind: 'text', name: 'config.json', createdAt: T0 + 2 }),
        await putBytes(s, key, randomBytes(64), {
          kind: 'other',
          name: 'dump.bin',
          direction: 'out',
          createdAt: T0 + 3,
        }),
      ];
      expect(await s.store.list(key)).toEqual(files);
      expect(files.map((f) => f.mime)).toEqual([
        'application/pdf',
        'application/json',
        'application/octet-stream',
      ]);
    });

    it('lists oldest first by createdAt, whatever the order of the puts; same millisecond by id', async () => {
      const s = subject();
      const key = chatKey();
      const late = await putBytes(s, key, 'c', { createdAt: T0 + 3000, name: 'c.txt' });
      const early = await putBytes(s, key, 'a', { createdAt: T0 + 1000, name: 'a.txt' });
      const middle = await putBytes(s, key, 'b', { createdAt: T0 + 2000, name: 'b.txt' });
      const tie1 = await putBytes(s, key, 'd', { createdAt: T0 + 4000, name: 'd.txt' });
      const tie2 = await putBytes(s, key, 'e', { createdAt: T0 + 4000, name: 'e.txt' });
      const ties = [tie1, tie2].sort((a, b) => (a.id < b.id ? -1 : 1));
      expect((await s.store.list(key)).map((f) => f.name)).toEqual(
        [early, middle, late, ...ties].map((f) => f.name),
      );
    });

    it('a repeated put of the same record (a retried job) keeps one file', async () => {
      const s = subject();
      const key = chatKey();
      const file = await putBytes(s, key, 'same bytes');
      await s.store.put(file, await s.source('same bytes'));
      expect(await s.store.list(key)).toEqual([file]);
      expect((await s.raw.listAll()).length).toBe(1);
    });

    it('opens each of several files with its own bytes', async () => {
      const s = subject();
      const key = chatKey();
      const contents = ['one', 'two two', 'three three three'];
      const files = [];
      for (const [i, text] of contents.entries()) {
        files.push(await putBytes(s, key, text, { name: `f${i}.txt`, createdAt: T0 + i }));
      }
      for (const [i, file] of files.entries()) {
        const opened = await s.store.open(key, file.id);
        expect((await drain(opened!.body)).toString()).toBe(contents[i]);
      }
    });
  });
}
