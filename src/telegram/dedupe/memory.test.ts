import { createMemoryDeduper } from './dedupe.js';
import { runDeduperConformance } from './dedupe-conformance.js';
import { createSqliteDeduper } from './dedupe-sqlite.js';

runDeduperConformance('memory', async ({ clock, ttlMs }) => ({
  deduper: createMemoryDeduper({ ttlMs, clock }),
}));

runDeduperConformance('sqlite', async ({ clock, ttlMs }) => {
  const deduper = createSqliteDeduper({ path: ':memory:', ttlMs, clock });
  return { deduper, cleanup: () => deduper.close() };
});
