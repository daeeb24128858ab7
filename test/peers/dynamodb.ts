import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { PEER_CREDENTIALS, PEER_REGION, type PeerEndpoint } from './types.js';

export interface DynamoDbLocalPeer extends PeerEndpoint {
  /** Process id of the watchdog shell that owns the JVM (its process group is killed on stop). */
  readonly pid: number;
}

const START_TIMEOUT_MS = 30_000;

/** Directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/` (shipped by amplify-dynamodb-simulator). */
export function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('amplify-dynamodb-simulator/package.json');
  return join(dirname(pkg), 'emulator');
}

/** A free TCP port on 127.0.0.1 (bound then released; a tiny race is acceptable for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// The shell owns the JVM and kills it as soon as our process disappears — even on SIGKILL of the
// test worker, where no 'exit' handler runs — so no orphaned JVM outlives a test run.
const WATCHDOG = [
  'java "$@" &',
  'jvm=$!',
  "trap 'kill $jvm 2>/dev/null; exit 0' TERM INT HUP",
  'while kill -0 "$OMNI_PEER_PARENT" 2>/dev/null && kill -0 $jvm 2>/dev/null; do sleep 1; done',
  'kill $jvm 2>/dev/null',
  'wait $jvm',
].join('\n');

/**
 * Start AWS's DynamoDB Local (in memory) on a random free port of 127.0.0.1 and wait until it
 * answers. ~1.5–2 s (JVM start). Stopped by `stop()`, on process exit, or when this process dies.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocalPeer> {
  const dir = dynamoDbLocalDir();
  const port = await freePort();
  const args = [
    '-Xmx512m',
    '-XX:+UseSerialGC',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const child: ChildProcess = spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', ...args], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OMNI_PEER_PARENT: String(process.pid) },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 8192) stderr += chunk;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('[peers:dynamodb] could not spawn java');

  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = (): void => killGroup('SIGKILL');
  process.once('exit', onExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      process.removeListener('exit', onExit);
      throw new Error(`[peers:dynamodb] DynamoDB Local exited during start: ${stderr.trim()}`);
    }
    if (await answers(endpoint)) break;
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      process.removeListener('exit', onExit);
      throw new Error(`[peers:dynamodb] DynamoDB Local did not answer within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  let stopped = false;
  return {
    endpoint,
    region: PEER_REGION,
    credentials: { ...PEER_CREDENTIALS },
    pid,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      if (exited) return;
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
      signal: AbortSignal.timeout(1000),
    });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
