import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readDemoTokenMs } from '../config/env.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { demoModel } from './demo-model.js';
import { clientGone, closeServer, listen, sendJson, urlHost } from './http.js';
import {
  errorResponse,
  messageJson,
  newMessageId,
  partialStreamEvents,
  resolveReply,
  streamEvents,
  type RenderMeta,
} from './render.js';
import {
  estimateTokens,
  InvalidRequestBodyError,
  maskHeaders,
  parseMessagesBody,
  readBody,
} from './request.js';
import { encodeSseEvent, SSE_HEADERS } from './sse.js';
import { writeSseEvents, type SseWriteOptions, type SseWriteResult } from './sse-writer.js';
import type { FinalReply, ModelHandler, RecordedRequest } from './types.js';

/**
 * A local Anthropic Messages API (`POST /v1/messages`) for the real `claude` binary
 * (`ANTHROPIC_BASE_URL=<url>`): records every request and answers with the handler's reply,
 * streamed as SSE or as plain JSON. Default handler: the offline demo model.
 */

export interface ModelServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  handler?: ModelHandler;
  logger?: Logger;
  /** Keep every request in `requests` (default true; the long-running demo server turns it off). */
  record?: boolean;
  /**
   * Milliseconds before each delta of a paced reply (the demo model's `stream <N> words`) when
   * streaming; 0 = no delay. Default: `OMNICLOUD_DEMO_TOKEN_MS`, else 50.
   */
  tokenMs?: number;
  /**
   * Called right after each streamed `text_delta` was handed to the socket: a timestamp taken here
   * is when the model "produced" it (benchmarks compare it with when a client showed it).
   */
  onTextDelta?: (delta: TextDeltaWritten) => void;
}

/** One streamed `text_delta`, as `onTextDelta` reports it. */
export interface TextDeltaWritten {
  /** The request's `index` (its position among the requests this server received). */
  request: number;
  /** 0-based position of the delta within its reply. */
  n: number;
}

export interface ModelServer {
  /** Base URL for `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Every Messages request received, in order (mutable: tests may clear it with `length = 0`). */
  readonly requests: RecordedRequest[];
  setHandler(handler: ModelHandler): void;
  close(): Promise<void>;
}

const anthropicError = (type: string, message: string) => ({ type: 'error', error: { type, message } });

export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const requests: RecordedRequest[] = [];
  const record = options.record ?? true;
  const tokenMs = resolveTokenMs(options.tokenMs);
  let served = 0;
  let handler: ModelHandler = options.handler ?? demoModel;
  const closing = new AbortController();

  async function onMessages(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const raw = await readBody(req);
    const body = parseMessagesBody(raw);
    const request: RecordedRequest = {
      index: served++,
      method: req.method ?? 'POST',
      path,
      headers: maskHeaders(req.headers),
      body,
      model: body.model ?? 'unknown-model',
      stream: body.stream === true,
      bodyChars: raw.length,
    };
    if (record) requests.push(request);
    const gone = clientGone(req, res);
    const signal = AbortSignal.any([gone.signal, closing.signal]);
    const reply = await resolveReply(handler, request, { index: request.index, signal });
    logger.debug('model reply', { index: request.index, kind: reply.kind, stream: request.stream });
    if (signal.aborted) return;
    const meta: RenderMeta = { messageId: newMessageId(), model: request.model, bodyChars: raw.length };
    const paced = reply.kind === 'text' && reply.deltas !== undefined;
    const onTextDelta = options.onTextDelta;
    const streamed = await send(res, request, reply, meta, {
      tokenMs: paced ? tokenMs : 0,
      signal,
      ...(onTextDelta ? { onTextDelta: (n: number) => onTextDelta({ request: request.index, n }) } : {}),
    });
    if (streamed?.completed === false) {
      logger.debug('model stream stopped: client gone or server closing', {
        index: request.index,
        ...streamed,
      });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const { pathname } = new URL(path, 'http://localhost');
    if (req.method === 'POST' && pathname === '/v1/messages') return onMessages(req, res, path);
    if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
      const raw = await readBody(req);
      return sendJson(res, 200, { input_tokens: estimateTokens(raw.length) });
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && (pathname === '/' || pathname === '/api/hello')) {
      return sendJson(res, 200, { ok: true });
    }
    sendJson(res, 404, anthropicError('not_found_error', `[model] no route ${req.method} ${pathname}`));
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const invalid = err instanceof InvalidRequestBodyError;
      logger.error('model server request failed', { err: errorMessage(err), path: req.url });
      if (res.headersSent) return void res.destroy();
      const type = invalid ? 'invalid_request_error' : 'api_error';
      sendJson(res, invalid ? 400 : 500, anthropicError(type, `[model] ${errorMessage(err)}`));
    });
  });
  const port = await listen(server, options.port ?? 0, host);

  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    requests,
    setHandler: (next) => {
      handler = next;
    },
    close: async () => {
      closing.abort();
      await closeServer(server);
    },
  };
}

/** A non-negative whole number of milliseconds, from the option or else the environment. */
function resolveTokenMs(option: number | undefined): number {
  if (option === undefined) return readDemoTokenMs();
  if (Number.isInteger(option) && option >= 0) return option;
  throw new ConfigError([
    {
      file: 'startModelServer options',
      field: 'tokenMs',
      message: `must be a whole number ≥ 0, got ${option}`,
    },
  ]);
}

/** Answers one request; for an SSE stream, resolves with how far it got. */
async function send(
  res: ServerResponse,
  request: RecordedRequest,
  reply: FinalReply,
  meta: RenderMeta,
  pacing: SseWriteOptions,
): Promise<SseWriteResult | undefined> {
  switch (reply.kind) {
    case 'error': {
      const { headers, body } = errorResponse(reply);
      res.writeHead(reply.status, { ...headers, 'request-id': `req_offline_${request.index}` });
      res.end(body);
      return undefined;
    }
    case 'drop':
      if (!request.stream) {
        res.destroy();
        return undefined;
      }
      res.writeHead(200, SSE_HEADERS);
      // Cut the connection once the partial events have been flushed.
      res.write(partialStreamEvents(reply, meta).map(encodeSseEvent).join(''), () => res.destroy());
      return undefined;
    default:
      if (!request.stream) {
        sendJson(res, 200, messageJson(reply, meta));
        return undefined;
      }
      return writeSseEvents(res, streamEvents(reply, meta), pacing);
  }
}
