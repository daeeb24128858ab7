import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/core/keys.js';
import type { Lease } from '../../src/sessions/types.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { parseStopData, stopButtonData } from '../../src/telegram/ingress/stops.js';
import { RUNS, SEED, createFigures, since, yieldToEventLoop } from './figures.js';
import { UNICODE_TRICKS, trickyText } from './arbitraries.js';

/**
 * Callback data of a turn's Stop button (`stop:<turn>`, parsed in `stop-button.ts` from whatever a
 * client sends as `callback_data`; issue 18): any data parses without throwing; what parses is a
 * positive safe integer that round-trips to the same data within Telegram's 64 bytes and is usable
 * by the real lease store's `requestStop` (SQLite): it stops the turn it names and nothing else.
 */

const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

const turnArb = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc.constantFrom(1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e16 - 1, 1e16),
  fc.maxSafeNat(),
);

const nearMiss = fc
  .tuple(
    fc.constantFrom('stop:', 'stop', 'STOP:', 'stop::', ' stop:', 'stop: ', ''),
    fc.oneof(
      turnArb.map(String),
      fc.constantFrom('0', '-1', '01', '1.0', '1e3', '0x10', 'NaN', 'Infinity', '9'.repeat(17), '٣'),
      fc.string({ maxLength: 20 }),
      trickyText(20),
    ),
    fc.constantFrom('', '\n', ':', ' ', ...UNICODE_TRICKS),
  )
  .map(([a, b, c]) => `${a}${b}${c}`);

let dir: string;
let storage: SqliteStorage;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-bounds-stop-'));
  storage = createSqliteStorage({ dataDir: dir });
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bounds: Stop button data', () => {
  it(`${RUNS} callback data: parse never throws; what parses round-trips and stops only its turn`, async () => {
    const figures = createFigures('Stop button data → parseStopData → requestStop (SQLite leases)');
    const key = conversationKey({ tenant: 'acme', chat: '5', thread: 'main' });
    const idle = conversationKey({ tenant: 'acme', chat: '6', thread: 'main' });
    let lease: Lease = await storage.leases.acquire(key, { ttlMs: 600_000 });
    let parsed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          turnArb.map((t) => `stop:${t}`),
          fc.constant('').map(() => `stop:${lease.token}`),
          nearMiss,
          trickyText(64),
          fc.string({ minLength: 1, maxLength: 64 }),
        ),
        async (data) => {
          await yieldToEventLoop();
          const start = performance.now();
          const turn = parseStopData(data);
          const tag = utf8Bytes(data) > 64 ? 'over 64 bytes' : 'within 64 bytes';
          if (turn === undefined) {
            figures.record('refused', since(start), [tag]);
            return;
          }
          parsed++;
          expect(Number.isSafeInteger(turn) && turn > 0).toBe(true);
          expect(stopButtonData(turn)).toBe(data);
          expect(utf8Bytes(data)).toBeLessThanOrEqual(64);
          const outcome = await storage.leases.requestStop(key, { turn });
          expect(outcome.stopping).toBe(turn === lease.token);
          expect((await storage.leases.requestStop(idle, { turn })).stopping).toBe(false);
          if (outcome.stopping) {
            // The holder sees it; the next turn starts clean.
            expect(await storage.leases.stopRequested(lease)).toBe(true);
            await storage.leases.release(lease);
            lease = await storage.leases.acquire(key, { ttlMs: 600_000 });
          }
          figures.record(
            outcome.stopping ? 'parsed → stopped its turn' : 'parsed → no such turn',
            since(start),
            [tag],
          );
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    figures.print({ parsed });
    expect(parsed).toBeGreaterThan(0);
    expect(figures.histogram()['parsed → stopped its turn']).toBeGreaterThan(0);
  });
});
