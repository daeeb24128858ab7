import { readdirSync, readFileSync } from 'node:fs';

/**
 * `claude` processes that descend from this process (children and their children) and were not
 * reaped yet, read from /proc: what a test counts to prove no agent process was orphaned or left
 * running. A zombie counts until its parent reaps it (then the parent has seen it exit).
 */
export function liveClaudeProcesses(root: number = process.pid): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces or parentheses, so split after the last ')'.
      const close = stat.lastIndexOf(')');
      const [, ppid] = stat.slice(close + 2).split(' ');
      parents.set(pid, Number(ppid));
      names.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // Exited while we looked.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid), hops = 0; p !== undefined && hops < 64; p = parents.get(p), hops++) {
      if (p === root) return true;
    }
    return false;
  };
  return [...names]
    .filter(([pid, cmd]) => /(^|\/)claude( |$)/.test(cmd.split(' ')[0] ?? '') && descends(pid))
    .map(([pid]) => pid);
}

/** Waits until `check()` is true (or throws after `timeoutMs`). */
export async function waitUntil(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`[test] timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether `pid` is a running process (a zombie has exited: it only waits to be reaped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
