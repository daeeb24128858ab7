import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileStoreHarness } from '../conformance.js';
import { chatKey, fileOf, putBytes, useFileSubject } from './fixtures.js';

/** A put that fails leaves nothing that a later listing (or the raw backend) shows. */
export function failureTests(harness: FileStoreHarness): void {
  describe('failed puts', () => {
    const subject = useFileSubject(harness);

    it('a source that vanished: rejected, nothing stored', async () => {
      const s = subject();
      const key = chatKey();
      const kept = await putBytes(s, key, 'kept');
      const before = (await s.raw.listAll()).sort();
      const file = fileOf(key, 'gone');
      await expect(s.store.put(file, join(s.scratch, 'no-such-file'))).rejects.toThrow();
      expect(await s.store.list(key)).toEqual([kept]);
      expect(await s.store.get(key, file.id)).toBeUndefined();
      expect(await s.raw.readBytes(file)).toBeNull();
      expect((await s.raw.listAll()).sort()).toEqual(before);
    });

    it('a source that is not a file: rejected, nothing stored', async () => {
      const s = subject();
      const key = chatKey();
      const file = fileOf(key, 'x');
      await expect(s.store.put(file, s.scratch)).rejects.toThrow();
      expect(await s.store.list(key)).toEqual([]);
      expect(await s.raw.listAll()).toEqual([]);
    });

    it('a source of another size than the record says (changed meanwhile): rejected, nothing stored', async () => {
      const s = subject();
      const key = chatKey();
      const file = fileOf(key, 'twelve bytes');
      await expect(s.store.put(file, await s.source('grown to more bytes'))).rejects.toThrow(/bytes/);
      expect(await s.store.list(key)).toEqual([]);
      expect(await s.raw.listAll()).toEqual([]);
    });
  });
}
