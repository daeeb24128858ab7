import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidIdError } from '../../../core/errors.js';
import { parseSessionId, parseTenantId } from '../../../core/ids.js';
import { conversationKey, transcriptAddress } from '../../../core/keys.js';
import { conversationPk, sessionPk } from './schema.js';

describe('partition keys of session items', () => {
  it('a crafted id cannot reach another tenant (or a usage shard, a send budget) through the pk builders', () => {
    // Separators in ids are refused before any key is built.
    for (const input of [
      { tenant: 'acme', chat: 'x#c#y' },
      { tenant: 'acme', chat: '1:2' },
      { tenant: 'acme', chat: '1', thread: 'main#u0' },
      { tenant: 'acme', chat: '1', thread: 'a:b' },
      { tenant: 'acme#c#beta', chat: '1' },
      { tenant: 'acme#u0', chat: '1' },
      { tenant: 'Acme', chat: '1' },
    ]) {
      expect(() => conversationKey(input), JSON.stringify(input)).toThrow(InvalidIdError);
    }
    for (const key of [
      { projectKey: 'acme#s#beta', sessionId: randomUUID() },
      { projectKey: 'acme', sessionId: `${randomUUID()}#x` },
      { projectKey: 'acme', sessionId: 'beta#s#1' },
    ]) {
      expect(() => transcriptAddress(key), JSON.stringify(key)).toThrow(InvalidIdError);
    }

    // Every key built from valid ids names its own tenant before the first '#', and is never
    // another tenant's id, usage shard (`<t>#u<k>`) or send budget (`<t>#tgsend#…`).
    const tenants = ['acme', 'acme-b', 'a', 'b2'].map(parseTenantId);
    const session = parseSessionId(randomUUID());
    const built = tenants.flatMap((tenant) => [
      { tenant, pk: sessionPk(tenant, session) },
      ...[1, -100123, 'a_b', 'acme'].flatMap((chat) =>
        ['main', '7', 'acme-b'].map((thread) => ({
          tenant,
          pk: conversationPk(conversationKey({ tenant, chat, thread })),
        })),
      ),
    ]);
    for (const { tenant, pk } of built) {
      expect(pk.split('#')[0]).toBe(tenant);
      expect(pk).toMatch(/^[a-z0-9-]+#[sc]#[^#]+$/);
      expect(tenants).not.toContain(pk);
      expect(pk).not.toMatch(/^[^#]+#(u\d+|tgsend)(#|$)/);
    }
    // No two tenants share a key.
    const owners = new Map<string, string>();
    for (const { tenant, pk } of built) {
      expect(owners.get(pk) ?? tenant).toBe(tenant);
      owners.set(pk, tenant);
    }
  });
});
