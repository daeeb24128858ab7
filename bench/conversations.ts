/**
 * Conversation management benchmark (issue 17): what the session catalog costs a turn, and how fast
 * `/sessions`, a switch and an operator's listing are, on SQLite (a temp file) and on DynamoDB
 * Local + fauxqs (127.0.0.1), through the real `ConversationService` and storage drivers.
 *
 * - `record_turn`: one `SessionCatalog.recordTurn` of a live entry (the write every committed turn
 *   adds; the runner issues it concurrently with the turn ledger's write, so a turn waits for the
 *   slower of the two, not their sum).
 * - `sessions_10`: `service.sessions(key)` for a conversation with 50 sessions, showing 10 (the
 *   map, one catalog query, a transcript `stat` per shown session, in parallel).
 * - `switch`: `service.switchTo` back and forth between two sessions (lease, map, catalog query,
 *   `stat`, map write, approvals check, release).
 * - `tenant_list_1000`: `service.tenantSessions(tenant, { limit: 1000 })` over 1000 sessions in
 *   100 conversations (an operator's `omnicloud sessions list`).
 * Ends with one JSON line.
 *
 *   npm run bench -- conversations [--samples 100]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConversationService } from '../src/conversations/index.js';
import { parseSessionId, type SessionId } from '../src/core/ids.js';
import { conversationKey, type ConversationKey } from '../src/core/keys.js';
import { silentLogger } from '../src/core/logger.js';
import { createCloudStorage } from '../src/sessions/adapters/cloud/index.js';
import { createSqliteStorage } from '../src/sessions/adapters/sqlite/index.js';
import type { Storage } from '../src/sessions/types.js';
import { startCloudPeers } from '../test/peers/cloud.js';
import { numberArg, round, spread } from './lib/stats.js';

const SAMPLES = numberArg('samples', 100);
const TENANT = 'bench';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function timed(samples: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** One committed turn as the runner leaves it: two transcript entries, the map, the catalog. */
async function seedTurn(
  storage: Storage,
  key: ConversationKey,
  sessionId: SessionId,
  text: string,
): Promise<void> {
  await storage.transcripts.append({ projectKey: key.tenant, sessionId }, [
    { type: 'user', uuid: randomUUID(), message: { role: 'user', content: text } },
    {
      type: 'assistant',
      uuid: randomUUID(),
      message: { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
    },
  ]);
  await storage.conversations.touch(key, sessionId);
  await storage.sessions.recordTurn(key, sessionId, {
    at: Date.now(),
    title: text,
    costUsd: 0.002,
    model: 'm',
  });
}

async function measure(label: string, storage: Storage): Promise<Record<string, unknown>> {
  const service = createConversationService({
    storage,
    logger: silentLogger,
    choices: async () => ({ models: { fast: 'haiku' }, defaultModel: undefined, agents: [] }),
  });
  const key = conversationKey({ tenant: TENANT, chat: '-100200300', thread: '42' });
  const ids: SessionId[] = [];
  for (let i = 0; i < 50; i++) {
    const id = parseSessionId(randomUUID());
    ids.push(id);
    await seedTurn(storage, key, id, `question ${i}: why is the p99 of service ${i} up since the deploy?`);
  }
  log(`${label}: seeded one conversation with 50 sessions`);
  // Warm-up (JIT, connections), then the measured samples.
  await timed(10, () =>
    storage.sessions.recordTurn(key, ids[0]!, { at: Date.now(), title: '', costUsd: 0.001, model: 'm' }),
  );
  const recordTurn = await timed(SAMPLES, () =>
    storage.sessions.recordTurn(key, ids[0]!, { at: Date.now(), title: '', costUsd: 0.001, model: 'm' }),
  );
  await timed(5, () => service.sessions(key));
  const sessions = await timed(SAMPLES, () => service.sessions(key));
  await timed(5, (i) => service.switchTo(key, ids[i % 2]!));
  const switches = await timed(SAMPLES, (i) => service.switchTo(key, ids[i % 2]!));
  for (let c = 0; c < 100; c++) {
    const other = conversationKey({ tenant: TENANT, chat: String(1000 + c), thread: 'main' });
    for (let s = 0; s < (c === 0 ? 0 : 10); s++) {
      await storage.sessions.recordTurn(other, parseSessionId(randomUUID()), {
        at: Date.now(),
        title: `incident ${c}/${s}`,
        costUsd: 0.01,
        model: 'm',
      });
    }
  }
  const total = (await service.tenantSessions(TENANT as never, { limit: 1000 })).length;
  log(`${label}: tenant now has ${total} sessions listed (limit 1000)`);
  const tenantList = await timed(Math.max(5, Math.floor(SAMPLES / 10)), () =>
    service.tenantSessions(TENANT as never, { limit: 1000 }),
  );
  const result = {
    record_turn_ms: spread(recordTurn),
    sessions_10_ms: spread(sessions),
    switch_ms: spread(switches),
    tenant_list_1000_ms: spread(tenantList),
    tenant_sessions: total,
  };
  log(`${label}: ${JSON.stringify(result)}`);
  return result;
}

async function main(): Promise<void> {
  const cpu = cpus();
  log(`machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, Node ${process.version}; samples ${SAMPLES}`);
  const dir = mkdtempSync(join(tmpdir(), 'omnicloud-bench-conv-'));
  const sqlite = createSqliteStorage({ dataDir: dir });
  const peers = await startCloudPeers();
  try {
    const onSqlite = await measure('sqlite', sqlite);
    const [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
    const onCloud = await measure(
      'dynamodb',
      createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table }),
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'conversations',
        samples: SAMPLES,
        sqlite: onSqlite,
        dynamodb_local: onCloud,
        machine: `${cpu.length}x ${cpu[0]?.model ?? '?'}, Node ${process.version}`,
        load_avg_1m: round(loadavg()[0] ?? 0),
      })}\n`,
    );
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
    await peers.stop();
  }
}

await main();
