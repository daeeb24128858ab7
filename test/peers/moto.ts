import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { PEER_CREDENTIALS, PEER_REGION, type PeerEndpoint } from './types.js';

/**
 * `moto_server` (moto 5.2.1, preinstalled with the image's Python AWS tooling, CI included) on a
 * free port of 127.0.0.1: an AWS API peer for services fauxqs and DynamoDB Local do not serve —
 * here EventBridge Scheduler. Null when the binary is absent (the caller skips, saying why).
 */
export async function startMoto(): Promise<(PeerEndpoint & { stop(): Promise<void> }) | null> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!spawned) return null;
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not start on ${endpoint}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    region: PEER_REGION,
    credentials: { ...PEER_CREDENTIALS },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
