import type { Query } from '@anthropic-ai/claude-agent-sdk';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * How long a stopped turn may take to end after `interrupt()` before its process is closed (a
 * tool that ignores the interrupt, a hung MCP server). Measured: a turn ends ~35 ms after it.
 */
export const INTERRUPT_GRACE_MS = 5_000;

/**
 * On `stop`, interrupts the query (the model stops, a running tool is cancelled, the turn ends
 * with a result and the transcript stays consistent: the next turn resumes normally and sees the
 * partial answer). If the turn has not ended `graceMs` later, `escalate` closes the process.
 * Returns a disposer to call when the turn ended.
 */
export function interruptOnStop(
  q: Pick<Query, 'interrupt'>,
  stop: AbortSignal | undefined,
  escalate: () => void,
  log: Logger,
  graceMs = INTERRUPT_GRACE_MS,
): () => void {
  if (!stop) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const onStop = (): void => {
    log.info('stop requested: interrupting the turn');
    q.interrupt().catch((err: unknown) => {
      log.warn('interrupt failed; closing the agent process', { error: errorMessage(err) });
      escalate();
    });
    timer = setTimeout(() => {
      log.warn('the turn did not end after an interrupt; closing the agent process', { grace_ms: graceMs });
      escalate();
    }, graceMs);
    timer.unref();
  };
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return () => {
    stop.removeEventListener('abort', onStop);
    if (timer) clearTimeout(timer);
  };
}
