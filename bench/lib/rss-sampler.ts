import { readFileSync, readdirSync } from 'node:fs';

/** Resident set size (KiB) of a process, from /proc (0 if it is gone). */
function rssKib(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Direct children of a process (every thread's children file). */
function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process ended between listing and reading
  }
  return out;
}

/** Sum of the RSS of every descendant of `pid` (the claude child and what it spawns). */
export function descendantsRssKib(pid: number): number {
  let total = 0;
  const stack = children(pid);
  while (stack.length > 0) {
    const next = stack.pop() as number;
    total += rssKib(next);
    stack.push(...children(next));
  }
  return total;
}

/**
 * Samples this process's descendants' RSS every `intervalMs` and keeps the peak: the agent child's
 * memory during a turn (Linux only).
 */
export function startRssSampler(intervalMs = 10): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, descendantsRssKib(process.pid));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, descendantsRssKib(process.pid));
      return peak / 1024;
    },
  };
}
