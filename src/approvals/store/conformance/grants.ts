import { describe, expect, it } from 'vitest';
import { CONVERSATION_RETENTION_DAYS, DAY_MS } from '../../../core/clock.js';
import { InvalidApprovalError } from '../../errors.js';
import type { ApprovalHarness } from '../conformance.js';
import { MAX_GRANTS, MAX_RULE_CHARS } from '../record.js';
import { TENANT_A, TENANT_B, chatKey, keyString, newSession, useApprovalSubject } from './fixtures.js';

const GRANT_RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;

/** "Allow in this conversation" grants: per conversation and session, ordered, idempotent, bounded. */
export function grantTests(harness: ApprovalHarness): void {
  describe('grants', () => {
    const subject = useApprovalSubject(harness);

    it('keeps rules in grant order, once each, per conversation and session', async () => {
      const s = subject();
      const key = chatKey();
      const session = newSession();
      expect(await s.store.grants(key, session)).toEqual([]);
      for (const rule of [
        'Bash(aws ec2 reboot-instances *)',
        'mcp__aws__describe_*',
        'Bash(aws ec2 reboot-instances *)',
        'Read',
      ])
        await s.store.grant(key, session, rule);
      const want = ['Bash(aws ec2 reboot-instances *)', 'mcp__aws__describe_*', 'Read'];
      expect(await s.store.grants(key, session)).toEqual(want);
      expect((await s.raw.readGrants(keyString(key), session))?.rules).toEqual(want);

      expect(await s.store.grants(key, newSession())).toEqual([]);
      expect(await s.store.grants(chatKey(), session)).toEqual([]);
      expect(await s.store.grants(chatKey(TENANT_B, key.chat, key.thread), session)).toEqual([]);
      expect(await s.store.grants(chatKey(TENANT_A, key.chat, 'other-thread'), session)).toEqual([]);
    });

    it('keeps concurrent grants of one session (none lost, none doubled)', async () => {
      const s = subject();
      const key = chatKey();
      const session = newSession();
      const rules = Array.from({ length: 8 }, (_, i) => `Bash(tool-${i} *)`);
      await Promise.all([...rules, ...rules].map((rule) => s.store.grant(key, session, rule)));
      const stored = await s.store.grants(key, session);
      expect([...stored].sort()).toEqual([...rules].sort());
    });

    it('takes at most 100 rules of 1–1000 characters per session', async () => {
      const s = subject();
      const key = chatKey();
      const session = newSession();
      const rules = Array.from({ length: MAX_GRANTS }, (_, i) => `Bash(cmd-${String(i).padStart(3, '0')} *)`);
      for (const rule of rules) await s.store.grant(key, session, rule);
      await s.store.grant(key, session, rules[50] as string);
      const err = await s.store.grant(key, session, 'Bash(one-more *)').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidApprovalError);
      expect((err as Error).message).toMatch(/at most 100 rules/);
      expect(await s.store.grants(key, session)).toEqual(rules);
      expect((await s.raw.readGrants(keyString(key), session))?.rules).toHaveLength(MAX_GRANTS);

      const other = newSession();
      await s.store.grant(key, other, 'r'.repeat(MAX_RULE_CHARS));
      for (const bad of ['', 'r'.repeat(MAX_RULE_CHARS + 1), 'Bash(ls)\n', 'Bash(\u0000)', 42 as never]) {
        await expect(s.store.grant(key, other, bad)).rejects.toBeInstanceOf(InvalidApprovalError);
      }
      expect(await s.store.grants(key, other)).toEqual(['r'.repeat(MAX_RULE_CHARS)]);
    });

    it('expires a session’s grants 25 days after the last grant, then starts afresh', async () => {
      const s = subject();
      const key = chatKey();
      const session = newSession();
      await s.store.grant(key, session, 'A');
      s.clock.advance(10 * DAY_MS);
      const last = s.clock.now();
      await s.store.grant(key, session, 'B');
      const raw = await s.raw.readGrants(keyString(key), session);
      expect(raw?.expiresAt).toBeGreaterThanOrEqual(last + GRANT_RETENTION_MS);
      expect(raw?.expiresAt).toBeLessThan(last + GRANT_RETENTION_MS + 1000);

      s.clock.set(last + GRANT_RETENTION_MS - 1);
      expect(await s.store.grants(key, session)).toEqual(['A', 'B']);
      s.clock.set(last + GRANT_RETENTION_MS);
      expect(await s.store.grants(key, session)).toEqual([]);
      await s.store.grant(key, session, 'C');
      expect(await s.store.grants(key, session)).toEqual(['C']);
    });
  });
}
