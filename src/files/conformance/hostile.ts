import { describe, expect, it } from 'vitest';
import { InvalidIdError } from '../../core/errors.js';
import type { ConversationKey } from '../../core/keys.js';
import type { FileStoreHarness } from '../conformance.js';
import type { FileId, StoredFile } from '../types.js';
import { TENANT_A, TENANT_B, chatKey, fileOf, putBytes, useFileSubject } from './fixtures.js';

/** Ids and records that must find nothing, or be refused before anything is written. */
export function hostileTests(harness: FileStoreHarness): void {
  describe('hostile ids and records', () => {
    const subject = useFileSubject(harness);

    it('finds nothing for unknown or malformed ids, even ones that spell another tenant’s path', async () => {
      const s = subject();
      const a = chatKey(TENANT_A, '555', 'main');
      const victim = await putBytes(s, chatKey(TENANT_B, '555', 'main'), 'globex secret');
      const before = (await s.raw.listAll()).sort();
      const ids = [
        'fAAAAAAAAAAAAAAA', // well-formed, unknown
        victim.id.slice(0, 15),
        `${victim.id}/..`,
        `../../../${TENANT_B}/555/main/${victim.id}`,
        `../../../../${TENANT_B}/files/555/main/${victim.id}`,
        '..',
        '.',
        '',
        `${victim.id}\u0000`,
        'x'.repeat(300),
      ];
      for (const id of ids) {
        expect(await s.store.get(a, id as FileId), id).toBeUndefined();
        expect(await s.store.open(a, id as FileId), id).toBeUndefined();
      }
      expect((await s.raw.listAll()).sort()).toEqual(before);
    });

    it.each([
      ['a traversal', { name: '../../x' }],
      ['a path', { name: 'a/b.txt' }],
      ['a backslash path', { name: 'a\\b.txt' }],
      ['a dot name', { name: '..' }],
      ['a hidden name', { name: '.env' }],
      ['a NUL', { name: 'a\u0000.txt' }],
      ['an RTL override', { name: 'invoice\u202etxt.exe' }],
      ['an empty name', { name: '' }],
      ['a 300-character name', { name: `${'n'.repeat(296)}.txt` }],
      ['a malformed id', { id: '../x' as FileId }],
      ['a fractional time', { createdAt: 1.5 }],
      ['a negative time', { createdAt: -1 }],
      ['a negative size', { size: -1 }],
      ['an unknown kind', { kind: 'exe' as StoredFile['kind'] }],
      ['an unknown direction', { direction: 'up' as StoredFile['direction'] }],
    ] as Array<[string, Partial<StoredFile>]>)('put refuses %s and writes nothing', async (_, overrides) => {
      const s = subject();
      const file = { ...fileOf(chatKey(), 'x'), ...overrides };
      await expect(s.store.put(file, await s.source('x'))).rejects.toBeInstanceOf(InvalidIdError);
      expect(await s.raw.listAll()).toEqual([]);
    });

    it('put refuses a hostile conversation key and writes nothing', async () => {
      const s = subject();
      const keys = [
        { tenant: '../acme', chat: '1', thread: 'main' },
        { tenant: TENANT_A, chat: '../1', thread: 'main' },
        { tenant: TENANT_A, chat: '1', thread: 'main/../../x' },
      ] as unknown as ConversationKey[];
      for (const key of keys) {
        const file = fileOf(chatKey(), 'x');
        await expect(s.store.put({ ...file, key }, await s.source('x'))).rejects.toBeInstanceOf(
          InvalidIdError,
        );
      }
      expect(await s.raw.listAll()).toEqual([]);
    });

    it('list, get and open refuse a hostile conversation key (InvalidIdError) instead of reading elsewhere', async () => {
      const s = subject();
      const victim = await putBytes(s, chatKey(TENANT_B, '555', 'main'), 'globex secret');
      const keys = [
        { tenant: '../globex', chat: '555', thread: 'main' },
        { tenant: TENANT_A, chat: `../../${TENANT_B}/555`, thread: 'main' },
        { tenant: TENANT_A, chat: '555', thread: '../main' },
      ] as unknown as ConversationKey[];
      for (const key of keys) {
        await expect(s.store.list(key)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.store.get(key, victim.id)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.store.open(key, victim.id)).rejects.toBeInstanceOf(InvalidIdError);
      }
    });
  });
}
