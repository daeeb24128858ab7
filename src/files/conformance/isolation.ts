import { describe, expect, it } from 'vitest';
import type { FileStoreHarness } from '../conformance.js';
import { TENANT_A, TENANT_B, chatKey, drain, putBytes, useFileSubject } from './fixtures.js';

/** Tenants and conversations are separate namespaces, also for the same chat and thread ids. */
export function isolationTests(harness: FileStoreHarness): void {
  describe('isolation', () => {
    const subject = useFileSubject(harness);

    it('keeps the same chat and thread of two tenants apart', async () => {
      const s = subject();
      const a = chatKey(TENANT_A, '555', 'main');
      const b = chatKey(TENANT_B, '555', 'main');
      const fa = await putBytes(s, a, 'acme secret', { name: 'same.txt' });
      const fb = await putBytes(s, b, 'globex secret', { name: 'same.txt' });
      expect(await s.store.list(a)).toEqual([fa]);
      expect(await s.store.list(b)).toEqual([fb]);
      expect(await s.store.get(b, fa.id)).toBeUndefined();
      expect(await s.store.open(b, fa.id)).toBeUndefined();
      expect(await s.store.get(a, fb.id)).toBeUndefined();
      expect((await drain((await s.store.open(b, fb.id))!.body)).toString()).toBe('globex secret');
      expect((await s.raw.readBytes(fa))?.toString()).toBe('acme secret');
      expect((await s.raw.readBytes(fb))?.toString()).toBe('globex secret');
    });

    it('keeps chats and threads of one tenant apart', async () => {
      const s = subject();
      const main = chatKey(TENANT_A, '555', 'main');
      const topic = chatKey(TENANT_A, '555', '17');
      const other = chatKey(TENANT_A, '5550', 'main'); // '555' is a prefix of it
      const f = await putBytes(s, main, 'x');
      for (const key of [topic, other]) {
        expect(await s.store.list(key)).toEqual([]);
        expect(await s.store.get(key, f.id)).toBeUndefined();
        expect(await s.store.open(key, f.id)).toBeUndefined();
      }
    });
  });
}
