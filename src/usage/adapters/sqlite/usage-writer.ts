/**
 * Test helper run as a separate process (`node --import tsx usage-writer.ts '<json>'`) by the
 * multi-process test: records `count` turns of `costUsd` into the shared database file.
 */
import { parseChatId, parseTenantId, parseThreadId } from '../../../core/ids.js';
import { createSqliteUsageStore } from './index.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  file: string;
  count: number;
  costUsd: number;
  userId: number;
};
const store = createSqliteUsageStore({ file: args.file });
for (let i = 0; i < args.count; i++) {
  await store.record({
    tenant: parseTenantId('acme'),
    chat: parseChatId(args.userId),
    thread: parseThreadId(undefined),
    userId: args.userId,
    sessionId: `s-${i}`,
    model: 'm',
    tokens: { input: 10, output: 1, cacheCreation: 0, cacheRead: 0 },
    costUsd: args.costUsd,
    durationMs: 1,
    at: Date.now(),
  });
}
await store.close();
