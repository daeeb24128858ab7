import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorMessage } from '../core/errors.js';
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
    send(res, request, reply, meta);
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

function send(res: ServerResponse, request: RecordedRequest, reply: FinalReply, meta: RenderMeta): void {
  switch (reply.kind) {
    case 'error': {
      const { headers, body } = errorResponse(reply);
      res.writeHead(reply.status, { ...headers, 'request-id': `req_offline_${request.index}` });
      res.end(body);
      return;
    }
    case 'drop':
      if (!request.stream) return void res.destroy();
      res.writeHead(200, SSE_HEADERS);
      // Cut the connection once the partial events have been flushed.
      res.write(partialStreamEvents(reply, meta).map(encodeSseEvent).join(''), () => res.destroy());
      return;
    default:
      if (!request.stream) return sendJson(res, 200, messageJson(reply, meta));
      res.writeHead(200, SSE_HEADERS);
      for (const event of streamEvents(reply, meta)) res.write(encodeSseEvent(event));
      res.end();
  }
}
