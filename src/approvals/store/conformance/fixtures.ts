import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { parseSessionId, parseTenantId, type SessionId } from '../../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../../core/keys.js';
import { newApprovalId } from '../../ids.js';
import type { ApprovalRecord } from '../../types.js';
import type { ApprovalHarness, ApprovalSubject } from '../conformance.js';

export const TENANT_A = parseTenantId('acme');
export const TENANT_B = parseTenantId('globex');
export const MINUTE = 60_000;

/** A fresh subject per test (optionally with a retention), cleaned up afterwards. */
export function useApprovalSubject(
  harness: ApprovalHarness,
  options: { retentionDays?: number } = {},
): () => ApprovalSubject {
  let subject: ApprovalSubject | undefined;
  beforeEach(async () => {
    subject = await harness.create({ clock: new ManualClock(), ...options });
  });
  afterEach(async () => {
    const current = subject;
    subject = undefined;
    await current?.cleanup();
  });
  return () => {
    if (!subject) throw new Error('[approvals:conformance] no subject: harness.create() failed');
    return subject;
  };
}

export function chatKey(
  tenant = TENANT_A,
  chat: string | number = randomUUID().slice(0, 8),
  thread?: string | number,
) {
  return conversationKey({ tenant, chat, thread });
}

export const newSession = (): SessionId => parseSessionId(randomUUID());

/** A pending request of `key` created at `now`, deciding within 15 minutes. */
export function pendingRecord(
  key: ConversationKey,
  now: number,
  overrides: Partial<ApprovalRecord> = {},
): ApprovalRecord {
  return {
    id: newApprovalId(),
    key,
    sessionId: newSession(),
    toolUseId: `toolu_${randomUUID().replaceAll('-', '')}`,
    tool: 'Bash',
    input: JSON.stringify({
      command: 'aws ec2 reboot-instances --instance-ids i-0abc',
      description: 'Reboot',
    }),
    summary: 'aws ec2 reboot-instances --instance-ids i-0abc',
    grantRule: 'Bash(aws ec2 reboot-instances *)',
    requestedBy: '4242',
    createdAt: now,
    expiresAt: now + 15 * MINUTE,
    status: 'pending',
    ...overrides,
  };
}

export function keyString(key: ConversationKey): string {
  return `${key.tenant}:${key.chat}:${key.thread}`;
}
