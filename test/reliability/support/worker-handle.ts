import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WorkerEvent, WorkerProcessConfig } from '../worker-process.js';

const SCRIPT = fileURLToPath(new URL('../worker-process.ts', import.meta.url));
/** tsx by absolute URL: the worker runs in its own empty cwd. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A running `worker-process.ts` in its own process group (so kill -9 takes its `claude` children too). */
export interface WorkerHandle {
  readonly pid: number;
  readonly events: WorkerEvent[];
  readonly exited: boolean;
  /** Resolves with the first event (past or future) matching `match`. */
  waitEvent(match: (e: WorkerEvent) => boolean, timeoutMs?: number): Promise<WorkerEvent>;
  /** Start consuming (a spare spawned with `waitForGo`). */
  go(): void;
  /** SIGKILL the whole process group — no cleanup, no DeleteMessage, no lease release. */
  kill(): Promise<void>;
  /** SIGTERM and wait (graceful stop at the end of a suite). */
  stop(): Promise<void>;
  stderr(): string;
}

export async function spawnWorker(config: WorkerProcessConfig): Promise<WorkerHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'omni-rel-worker-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', TSX, SCRIPT], {
    cwd: dir,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: dir,
      TMPDIR: dir,
      OMNI_WORKER_CONFIG: JSON.stringify(config),
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('[reliability] could not spawn the worker process');
  const events: WorkerEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let exited = false;
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        events.push(JSON.parse(line) as WorkerEvent);
      } catch {
        continue;
      }
      for (const wake of [...waiters]) wake();
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 16_384) stderr += chunk;
  });
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      for (const wake of [...waiters]) wake();
      resolve();
    }),
  );
  const onParentExit = (): void => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', onParentExit);
  void exit.then(async () => {
    process.removeListener('exit', onParentExit);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  });

  const handle: WorkerHandle = {
    pid,
    events,
    get exited() {
      return exited;
    },
    waitEvent(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (exited) {
            cleanup();
            reject(new Error(`[reliability] worker ${pid} exited; stderr: ${stderr.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`[reliability] worker ${pid}: event not seen within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    go: () => void child.stdin?.write('go\n'),
    async kill() {
      if (exited) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exit;
    },
    async stop() {
      if (exited) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => void handle.kill(), 10_000);
      await exit;
      clearTimeout(timer);
      try {
        process.kill(-pid, 'SIGKILL'); // leftover children of the group, if any
      } catch {
        // none
      }
    },
    stderr: () => stderr,
  };
  return handle;
}
