/**
 * Test helper run as a separate process (`node --import tsx lease-contender.ts '<json>'`) by the
 * two-process test: opens the shared database file, contends for one conversation's lease, writes
 * through the fenced store and prints one JSON line per event on stdout.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { errorMessage, OmniError } from '../../../core/errors.js';
import { conversationKey } from '../../../core/keys.js';
import { createSqliteStorage } from './index.js';

interface ContenderArgs {
  file: string;
  name: string;
  sessionId: string;
  ttlMs: number;
  waitMs: number;
  /** Hold the lease this long after acquiring it, or until `stopFile` exists, whichever is first. */
  holdMs: number;
  stopFile?: string;
  /** Release at the end (false: just let the lease expire). */
  release: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ContenderArgs;
const emit = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ name: args.name, event, at: Date.now(), ...fields })}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const storage = createSqliteStorage({ file: args.file });
const key = conversationKey({ tenant: 'acme', chat: 'shared-chat' });
const sessionKey = { projectKey: 'acme', sessionId: args.sessionId };
const write = async (lease: Parameters<typeof storage.transcriptsFor>[0], label: string) => {
  try {
    await storage.transcriptsFor(lease).append(sessionKey, [{ type: 'user', uuid: randomUUID(), label }]);
    emit('appended', { label });
  } catch (err) {
    emit('append-refused', {
      label,
      code: err instanceof OmniError ? err.code : 'unknown',
      message: errorMessage(err),
    });
  }
};

// Like the agent process, have the SDK loaded before the turn (the store folds summaries with it).
await import('@anthropic-ai/claude-agent-sdk');

try {
  const lease = await storage.leases.acquire(key, { ttlMs: args.ttlMs, waitMs: args.waitMs });
  emit('acquired', { token: lease.token });
  await write(lease, `${args.name}-start`);
  const holdUntil = Date.now() + args.holdMs;
  while (Date.now() < holdUntil && !(args.stopFile && existsSync(args.stopFile))) await sleep(25);
  await write(lease, `${args.name}-end`);
  emit('releasing');
  if (args.release) await storage.leases.release(lease);
} catch (err) {
  emit('refused', { code: err instanceof OmniError ? err.code : 'unknown', message: errorMessage(err) });
} finally {
  await storage.close();
}
