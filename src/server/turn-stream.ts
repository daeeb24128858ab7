import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { TurnEvent, TurnResult } from '../agent/types.js';
import type { Logger } from '../core/logger.js';
import { errorReply } from './errors.js';

/** How often an idle stream sends a heartbeat comment (`: ping`), unless the app is told otherwise. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;

/** The heartbeat: an SSE comment line, ignored by every SSE client, that keeps proxies from timing out. */
export const SSE_HEARTBEAT = ': ping\n\n';

export interface TurnStreamOptions {
  heartbeatMs: number;
  logger: Logger;
}

/**
 * Runs the turn with a listener for its live events; resolves with its result as the API shows it
 * (a `TurnResult`, or one with its files as download links: `ApiTurnResult`).
 */
export type StreamedTurn<R = TurnResult> = (onEvent: (event: TurnEvent) => void) => Promise<R>;

/**
 * The `data` of one SSE event: the TurnEvent's fields without `type` (which is the SSE `event:`
 * name). Spelled out per event so a field added to `TurnEvent` reaches clients only on purpose.
 */
export function sseEventData(event: TurnEvent): Record<string, unknown> {
  switch (event.type) {
    case 'turn_started':
      return { turn: event.turn };
    case 'text':
      return { delta: event.delta };
    case 'tool_start':
      return {
        id: event.id,
        name: event.name,
        summary: event.summary,
        parentId: event.parentId,
        ...(event.subagent !== undefined ? { subagent: event.subagent } : {}),
      };
    case 'tool_end':
      return { id: event.id, isError: event.isError };
    case 'tool_progress':
      return { id: event.id, name: event.name, elapsedS: event.elapsedS };
    case 'model_wait':
      return { waitMs: event.waitMs };
  }
}

/**
 * Answers a turn as Server-Sent Events: every `TurnEvent` as it happens, then `result` (the JSON the
 * plain route returns) or `error` (the error body the plain route returns), and a heartbeat comment
 * every `heartbeatMs` meanwhile. Writes are queued in order and never awaited by the runner.
 *
 * A client that disconnects does not stop the turn: events are dropped from then on, the turn runs
 * to its end and the runner records it (a retry with the same `request_id` gets its result). The
 * callback never throws, so nothing is written after the stream closes and nothing is left unhandled.
 */
export function streamTurn<R>(c: Context, run: StreamedTurn<R>, options: TurnStreamOptions): Response {
  const where = `${c.req.method} ${c.req.path}`;
  return streamSSE(c, async (stream) => {
    const writer = orderedWriter(stream);
    const heartbeat = setInterval(() => writer.write(SSE_HEARTBEAT), options.heartbeatMs);
    try {
      const result = await run((event) => writer.event(event.type, sseEventData(event)));
      writer.event('result', result);
    } catch (err) {
      writer.event('error', errorReply(err, where, options.logger).body);
    } finally {
      clearInterval(heartbeat);
    }
    await writer.drained();
    if (writer.disconnected())
      options.logger.info('[server] stream client disconnected; the turn ran to its end', {
        path: c.req.path,
      });
  });
}

/** Serializes writes to the stream in call order; after a disconnect every write is a no-op. */
function orderedWriter(stream: SSEStreamingApi) {
  let tail: Promise<unknown> = Promise.resolve();
  const gone = (): boolean => stream.aborted || stream.closed;
  const enqueue = (write: () => Promise<unknown>): void => {
    tail = tail.then(() => (gone() ? undefined : write())).catch(() => undefined);
  };
  return {
    write: (raw: string) => enqueue(() => stream.write(raw)),
    event: (event: string, data: unknown) =>
      enqueue(() => stream.writeSSE({ event, data: JSON.stringify(data) })),
    drained: () => tail,
    disconnected: () => stream.aborted,
  };
}

/**
 * A turn answered the way the client asked: Server-Sent Events (live events, then `result`) when
 * `stream`, otherwise the result as one JSON body. `run` gets the live-event listener (streaming
 * only) and resolves with the result to send.
 */
export async function answerTurn<R>(
  c: Context,
  stream: boolean,
  run: (onEvent?: (event: TurnEvent) => void) => Promise<R>,
  options: TurnStreamOptions,
): Promise<Response> {
  if (stream) return streamTurn(c, run, options);
  return c.json(await run(), 200);
}
