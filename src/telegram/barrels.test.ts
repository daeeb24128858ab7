import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Resolve hook that reports every module URL the import graph loads (runs on the loader thread). */
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`;

/** Imports `file` in a fresh Node process (tsx for TypeScript) and returns every module URL it loaded. */
async function modulesLoadedBy(file: string): Promise<string[]> {
  const script = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = [];
port1.on('message', (url) => seen.push(url));
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), {
  data: { port: port2 },
  transferList: [port2],
});
await import(${JSON.stringify(pathToFileURL(file).href)});
await new Promise((resolve) => setTimeout(resolve, 200));
port1.close();
process.stdout.write(JSON.stringify(seen));
`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as string[];
}

const heavy = (urls: string[]): string[] =>
  urls.filter((u) => /\/node_modules\/(better-sqlite3|@aws-sdk\/)/.test(u)).map((u) => u.slice(-80));

describe('telegram, queue and schedules barrels are safe to import', () => {
  it.each([
    'telegram/index.ts',
    'telegram/ingress/index.ts',
    'telegram/worker/index.ts',
    'telegram/dedupe/index.ts',
    'queue/index.ts',
    'schedules/index.ts',
    'schedules/store/index.ts',
  ])(
    'src/%s loads neither better-sqlite3 nor the AWS SDK',
    async (barrel) => {
      const loaded = await modulesLoadedBy(`${ROOT}src/${barrel}`);
      expect(loaded.some((u) => u.includes(`/src/${barrel}`))).toBe(true);
      expect(heavy(loaded)).toEqual([]);
    },
    30_000,
  );

  it('sees the drivers when they are imported by subpath (the check can fail)', async () => {
    expect(heavy(await modulesLoadedBy(`${ROOT}src/telegram/dedupe/sqlite.ts`)).join()).toContain(
      'better-sqlite3',
    );
    expect(heavy(await modulesLoadedBy(`${ROOT}src/telegram/dedupe/dynamo.ts`)).join()).toContain(
      '@aws-sdk/',
    );
    expect(heavy(await modulesLoadedBy(`${ROOT}src/schedules/store/dynamodb.ts`)).join()).toContain(
      '@aws-sdk/',
    );
  }, 45_000);
});
