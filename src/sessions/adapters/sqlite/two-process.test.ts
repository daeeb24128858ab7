import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStorage } from './index.js';

const SCRIPT = fileURLToPath(new URL('./lease-contender.ts', import.meta.url));

interface Event {
  name: string;
  event: string;
  at: number;
  token?: number;
  code?: string;
  label?: string;
}

/** Runs one contender process; resolves with its JSON event lines, reporting each as it arrives. */
function contender(args: Record<string, unknown>, onEvent: (e: Event) => void = () => {}): Promise<Event[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const events: Event[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line) as Event;
        events.push(event);
        onEvent(event);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`contender ${String(args.name)} exited ${code}: ${err}`));
      else resolve(events);
    });
  });
}

const find = (events: Event[], event: string) => events.find((e) => e.event === event);

describe('sqlite: two processes on one database file', () => {
  let dir: string;
  let file: string;
  const sessionId = randomUUID();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'omnicloud-2proc-'));
    file = join(dir, 'shared.sqlite');
    await createSqliteStorage({ file }).close(); // schema exists before the race
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('only one process gets the lease; the other is refused at once', async () => {
    // Both start together; the winner holds until the loser has finished, however late it started.
    const stopFile = join(dir, 'stop');
    const base = { file, sessionId, ttlMs: 30_000, waitMs: 0, holdMs: 30_000, stopFile, release: true };
    const runs = [contender({ ...base, name: 'a' }), contender({ ...base, name: 'b' })] as const;
    await Promise.race(runs);
    writeFileSync(stopFile, '');
    const [a, b] = await Promise.all(runs);
    const winners = [a, b].filter((events) => find(events, 'acquired'));
    const losers = [a, b].filter((events) => find(events, 'refused'));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(find(losers[0]!, 'refused')?.code).toBe('conversation_busy');
  });

  it('a waiting process gets the lease after release, with a higher token, never overlapping', async () => {
    const base = { file, sessionId, ttlMs: 30_000, waitMs: 20_000, holdMs: 600, release: true };
    const [a, b] = await Promise.all([contender({ ...base, name: 'a' }), contender({ ...base, name: 'b' })]);
    const [first, second] = [a, b].sort((x, y) => find(x, 'acquired')!.at - find(y, 'acquired')!.at);
    expect(find(second!, 'acquired')!.token).toBeGreaterThan(find(first!, 'acquired')!.token!);
    expect(find(second!, 'acquired')!.at).toBeGreaterThanOrEqual(find(first!, 'releasing')!.at);
    const storage = createSqliteStorage({ file });
    const labels = (await storage.transcripts.load({ projectKey: 'acme', sessionId }))?.map((e) => e.label);
    await storage.close();
    const f = first![0]!.name;
    const s = second![0]!.name;
    expect(labels).toEqual([`${f}-start`, `${f}-end`, `${s}-start`, `${s}-end`]);
  });

  it('a process whose lease expired and was taken over is fenced off', async () => {
    // slow: 300 ms lease, no heartbeat, holds until fast is done, then tries to write again.
    const stopFile = join(dir, 'stop');
    let acquired: () => void = () => {};
    // Resolved once slow holds the lease and has written its first entry.
    const slowAcquired = new Promise<void>((resolve) => (acquired = resolve));
    const slow = contender(
      { file, sessionId, name: 'slow', ttlMs: 300, waitMs: 0, holdMs: 30_000, stopFile, release: true },
      (e) => e.event === 'appended' && acquired(),
    );
    await slowAcquired;
    const fastEvents = await contender({
      file,
      sessionId,
      name: 'fast',
      ...{ ttlMs: 30_000, waitMs: 20_000, holdMs: 0, release: true },
    });
    writeFileSync(stopFile, '');
    const slowEvents = await slow;
    expect(find(slowEvents, 'acquired')).toBeDefined();
    expect(find(fastEvents, 'acquired')!.token).toBeGreaterThan(find(slowEvents, 'acquired')!.token!);
    const refused = slowEvents.find((e) => e.event === 'append-refused');
    expect(refused).toMatchObject({ label: 'slow-end', code: 'fenced_write' });
    const storage = createSqliteStorage({ file });
    const labels = (await storage.transcripts.load({ projectKey: 'acme', sessionId }))?.map((e) => e.label);
    await storage.close();
    expect(labels).toEqual(['slow-start', 'fast-start', 'fast-end']);
  });
});
