import { randomUUID } from 'node:crypto';
import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { afterEach, beforeEach, expect } from 'vitest';
import { parseTenantId, type TenantId } from '../../core/ids.js';
import { conversationKey, projectKeyForTenant, type ConversationKey } from '../../core/keys.js';
import type { ConformanceHarness, ConformanceSubject } from '../conformance.js';

/** Two tenants whose names are not substrings of each other (raw-key namespace checks rely on it). */
export const TENANT_A: TenantId = parseTenantId('acme');
export const TENANT_B: TenantId = parseTenantId('globex');

export const PROJECT_A = projectKeyForTenant(TENANT_A);
export const PROJECT_B = projectKeyForTenant(TENANT_B);

/**
 * Registers `beforeEach`/`afterEach` hooks that create a fresh subject per test and clean it up;
 * returns a getter for the current subject.
 */
export function useSubject(harness: ConformanceHarness): () => ConformanceSubject {
  let subject: ConformanceSubject | undefined;
  beforeEach(async () => {
    subject = await harness.create();
  });
  afterEach(async () => {
    const current = subject;
    subject = undefined;
    await current?.cleanup();
  });
  return () => {
    if (!subject) throw new Error('[conformance] no subject: harness.create() failed');
    return subject;
  };
}

export function newSessionKey(projectKey: string = PROJECT_A, subpath?: string): SessionKey {
  const key: SessionKey = { projectKey, sessionId: randomUUID() };
  if (subpath !== undefined) key.subpath = subpath;
  return key;
}

export function subKey(key: SessionKey, subpath: string): SessionKey {
  return { projectKey: key.projectKey, sessionId: key.sessionId, subpath };
}

let counter = 0;

/** A transcript entry shaped like the SDK's (type, uuid, timestamp, nested payload). */
export function entry(text = `message ${++counter}`, extra: Record<string, unknown> = {}): SessionStoreEntry {
  return {
    type: 'user',
    uuid: randomUUID(),
    parentUuid: null,
    timestamp: new Date(Date.UTC(2025, 0, 1) + counter * 1000).toISOString(),
    sessionId: 'ignored-by-the-store',
    message: { role: 'user', content: [{ type: 'text', text }] },
    isSidechain: false,
    ...extra,
  };
}

/** An entry without `uuid` (titles, tags, mode markers): appended as given, never deduplicated. */
export function markerEntry(title: string): SessionStoreEntry {
  return { type: 'custom-title', customTitle: title, sessionId: 'ignored-by-the-store' };
}

export function entries(n: number, prefix = 'm'): SessionStoreEntry[] {
  return Array.from({ length: n }, (_, i) => entry(`${prefix}-${i}`));
}

/** What a store must give back: the entries after a JSON round trip. */
export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function conversation(
  tenant: TenantId = TENANT_A,
  chat: string = randomUUID().slice(0, 8),
): ConversationKey {
  return conversationKey({ tenant, chat, thread: 'main' });
}

/** Asserts both the adapter and the raw backend hold exactly `expected` for `key`. */
export async function expectStored(
  subject: ConformanceSubject,
  key: SessionKey,
  expected: SessionStoreEntry[] | null,
): Promise<void> {
  const want = expected === null ? null : jsonRoundTrip(expected);
  expect(await subject.storage.transcripts.load(key)).toEqual(want);
  expect(await subject.raw.readEntries(key)).toEqual(want);
}

/** Runs `fn` as an async call so a synchronous throw also becomes a rejection. */
export function attempt(fn: () => unknown): Promise<unknown> {
  return (async () => fn())();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
