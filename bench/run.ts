/**
 * `npm run bench [-- <name> [args…]]`: runs one benchmark (`runner`, `sessions`, `warm`, `ingress`, `scale`, `live`, `approvals`, `attachments`, `proactive`, `conversations`, `usage`, `console`) or all
 * of them, each in its own process so their memory figures do not mix. Each ends with one JSON
 * line; method and results are in docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHES = [
  'runner',
  'sessions',
  'warm',
  'ingress',
  'scale',
  'live',
  'approvals',
  'attachments',
  'proactive',
  'conversations',
  'usage',
  'console',
] as const;
const [name, ...args] = process.argv.slice(2);

if (name !== undefined && !(BENCHES as readonly string[]).includes(name)) {
  process.stderr.write(`unknown benchmark "${name}"; choose one of: ${BENCHES.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const bench of name ? [name] : BENCHES) {
  process.stderr.write(`\n== bench: ${bench} ==\n`);
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, `${bench}.ts`), ...args],
    {
      stdio: 'inherit',
    },
  );
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
