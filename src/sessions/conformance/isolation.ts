import type { SessionKey } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { InvalidIdError } from '../../core/errors.js';
import type { ConformanceHarness, ConformanceSubject } from '../conformance.js';
import {
  PROJECT_A,
  PROJECT_B,
  TENANT_A,
  TENANT_B,
  attempt,
  entries,
  expectStored,
  newSessionKey,
  subKey,
  useSubject,
} from './fixtures.js';

const VALID_SESSION = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';

/** Keys an attacker (or a bug) could hand the store; each must be refused before any I/O. */
const HOSTILE_KEYS: Array<[string, SessionKey]> = [
  ['projectKey ../x', { projectKey: '../x', sessionId: VALID_SESSION }],
  ['projectKey with a slash', { projectKey: 'acme/../globex', sessionId: VALID_SESSION }],
  ['empty projectKey', { projectKey: '', sessionId: VALID_SESSION }],
  ['upper-case projectKey', { projectKey: 'ACME', sessionId: VALID_SESSION }],
  ['projectKey with a separator', { projectKey: 'acme#x', sessionId: VALID_SESSION }],
  ['sessionId not a uuid', { projectKey: PROJECT_A, sessionId: 'not-a-uuid' }],
  ['sessionId with ..', { projectKey: PROJECT_A, sessionId: '../../etc/passwd' }],
  ['upper-case uuid', { projectKey: PROJECT_A, sessionId: VALID_SESSION.toUpperCase() }],
  ['uuid with suffix', { projectKey: PROJECT_A, sessionId: `${VALID_SESSION}/x` }],
  ['subpath ..', { projectKey: PROJECT_A, sessionId: VALID_SESSION, subpath: '../x' }],
  [
    'subpath with .. inside',
    { projectKey: PROJECT_A, sessionId: VALID_SESSION, subpath: 'subagents/../../x' },
  ],
  ['absolute subpath', { projectKey: PROJECT_A, sessionId: VALID_SESSION, subpath: '/etc/passwd' }],
  ['empty subpath', { projectKey: PROJECT_A, sessionId: VALID_SESSION, subpath: '' }],
  ['subpath with empty segment', { projectKey: PROJECT_A, sessionId: VALID_SESSION, subpath: 'a//b' }],
  ['subpath with backslash', { projectKey: PROJECT_A, sessionId: VALID_SESSION, subpath: 'a\\..\\b' }],
];

async function snapshot(s: ConformanceSubject): Promise<string[]> {
  const keys = [...(await s.raw.listTenantKeys(TENANT_A)), ...(await s.raw.listTenantKeys(TENANT_B))];
  if (s.raw.listAllKeys) keys.push(...(await s.raw.listAllKeys()));
  return keys.sort();
}

/** Tenants cannot reach each other's data; malformed keys are rejected with `InvalidIdError`. */
export function isolationTests(harness: ConformanceHarness): void {
  describe('tenant isolation', () => {
    const subject = useSubject(harness);

    it("keeps a tenant's transcripts invisible to another tenant with the same session id", async () => {
      const s = subject();
      const a = newSessionKey(PROJECT_A);
      const b: SessionKey = { projectKey: PROJECT_B, sessionId: a.sessionId };
      const aEntries = entries(2, 'a');
      await s.storage.transcripts.append(a, aEntries);
      await s.storage.transcripts.append(subKey(a, 'subagents/agent-abc'), entries(1));
      await expectStored(s, b, null);
      expect(await s.storage.transcripts.stat(b)).toBeNull();
      expect(await s.storage.transcripts.listSubkeys(b)).toEqual([]);
      expect(await s.storage.transcripts.listSessions(PROJECT_B)).toEqual([]);

      const bEntries = entries(1, 'b');
      await s.storage.transcripts.append(b, bEntries);
      await expectStored(s, a, aEntries);
      await expectStored(s, b, bEntries);

      await s.storage.transcripts.delete(b);
      await expectStored(s, a, aEntries);
      expect(await s.storage.transcripts.listSubkeys(a)).toEqual(['subagents/agent-abc']);
    });

    it("names every raw key of a tenant inside that tenant's namespace", async () => {
      const s = subject();
      const a = newSessionKey(PROJECT_A);
      const b = newSessionKey(PROJECT_B);
      await s.storage.transcripts.append(a, entries(2));
      await s.storage.transcripts.append(subKey(a, 'subagents/agent-abc'), entries(1));
      await s.storage.transcripts.append(b, entries(2));
      const keysA = await s.raw.listTenantKeys(TENANT_A);
      const keysB = await s.raw.listTenantKeys(TENANT_B);
      expect(keysA.length).toBeGreaterThan(0);
      expect(keysB.length).toBeGreaterThan(0);
      for (const key of keysA) {
        expect(key).toContain(TENANT_A);
        expect(key).not.toContain(TENANT_B);
        expect(key).not.toContain(b.sessionId);
      }
      for (const key of keysB) {
        expect(key).toContain(TENANT_B);
        expect(key).not.toContain(a.sessionId);
      }
      expect(keysA.some((k) => k.includes(a.sessionId))).toBe(true);
    });
  });

  describe('hostile keys', () => {
    const subject = useSubject(harness);

    it.each(HOSTILE_KEYS)('rejects %s with InvalidIdError and writes nothing', async (_label, key) => {
      const s = subject();
      const before = await snapshot(s);
      const store = s.storage.transcripts;
      await expect(attempt(() => store.append(key, entries(1)))).rejects.toBeInstanceOf(InvalidIdError);
      await expect(attempt(() => store.load(key))).rejects.toBeInstanceOf(InvalidIdError);
      await expect(attempt(() => store.stat(key))).rejects.toBeInstanceOf(InvalidIdError);
      await expect(attempt(() => store.delete(key))).rejects.toBeInstanceOf(InvalidIdError);
      if (key.subpath === undefined) {
        await expect(attempt(() => store.listSubkeys(key))).rejects.toBeInstanceOf(InvalidIdError);
      }
      expect(await snapshot(s)).toEqual(before);
    });

    it('rejects a hostile projectKey in listSessions', async () => {
      const s = subject();
      for (const projectKey of ['../x', '', 'ACME', 'a/b']) {
        await expect(attempt(() => s.storage.transcripts.listSessions(projectKey))).rejects.toBeInstanceOf(
          InvalidIdError,
        );
      }
    });

    it('rejects a whole batch when its key is hostile, even after valid writes', async () => {
      const s = subject();
      const good = newSessionKey();
      const goodEntries = entries(2);
      await s.storage.transcripts.append(good, goodEntries);
      const before = await snapshot(s);
      await expect(
        attempt(() => s.storage.transcripts.append(subKey(good, '../escape'), entries(3))),
      ).rejects.toBeInstanceOf(InvalidIdError);
      expect(await snapshot(s)).toEqual(before);
      await expectStored(s, good, goodEntries);
    });
  });
}
