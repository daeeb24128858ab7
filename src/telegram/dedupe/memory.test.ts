import { createMemoryDeduper } from './memory.js';
import { runDeduperConformance } from './conformance.js';
import { createSqliteDeduper } from './sqlite.js';

runDeduperConformance('memory', async ({ clock, ttlMs }) => ({
  deduper: createMemoryDeduper({ ttlMs, clock }),
}));

runDeduperConformance('sqlite', async ({ clock, ttlMs }) => {
  const deduper = createSqliteDeduper({ path: ':memory:', ttlMs, clock });
  return { deduper, cleanup: () => deduper.close() };
});
