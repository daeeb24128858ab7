import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTextDelta, type StreamEvent } from './render.js';
import { encodeSseEvent, SSE_HEADERS } from './sse.js';

/**
 * Writes stream events to the socket as they are produced, so a client sees each `text_delta` when
 * it is "generated": with `tokenMs > 0` it waits that long before each one. Stops quietly (timer
 * cleared, nothing more written) when `signal` aborts — the client went away or the server closes.
 */

export interface SseWriteOptions {
  /** Milliseconds to wait before each `text_delta` event; 0 writes everything at once. */
  tokenMs: number;
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
  /** Called right after each `text_delta` event was handed to the socket (`n`: 0-based among them). */
  onTextDelta?: (n: number) => void;
}

export interface SseWriteResult {
  /** All events were written and the response ended. */
  completed: boolean;
  /** How many events were handed to the socket. */
  written: number;
}

export async function writeSseEvents(
  res: ServerResponse,
  events: readonly StreamEvent[],
  { tokenMs, signal, onTextDelta }: SseWriteOptions,
): Promise<SseWriteResult> {
  res.writeHead(200, SSE_HEADERS);
  let written = 0;
  let deltas = 0;
  for (const event of events) {
    const delta = isTextDelta(event);
    if (tokenMs > 0 && delta && !(await wait(tokenMs, signal))) break;
    if (signal.aborted) break;
    written++;
    const flushed = res.write(encodeSseEvent(event));
    if (delta) onTextDelta?.(deltas++);
    if (!flushed && !(await drained(res, signal))) break;
  }
  const completed = written === events.length && !signal.aborted;
  if (completed) res.end();
  return { completed, written };
}

/** False when aborted first (the timer is cleared by the abort). */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(ms, true, { signal }).catch(() => false);
}

/** Backpressure: wait for the socket to take more; false when aborted first. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<boolean> {
  return once(res, 'drain', { signal }).then(
    () => true,
    () => false,
  );
}
