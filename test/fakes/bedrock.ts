import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorMessage } from '../../src/core/errors.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import {
  clientGone,
  closeServer,
  demoModel,
  errorType,
  listen,
  maskHeaders,
  messageJson,
  newMessageId,
  parseMessagesBody,
  partialStreamEvents,
  readBody,
  resolveReply,
  sendJson,
  streamEvents,
  urlHost,
  type ErrorReply,
  type FinalReply,
  type ModelHandler,
  type RecordedRequest,
  type RenderMeta,
} from '../../src/model/index.js';
import { encodeChunk } from './bedrock-eventstream.js';
import { readBedrockAuth, type BedrockAuth } from './bedrock-sigv4.js';

/**
 * A fake Amazon Bedrock runtime for the `claude` binary in Bedrock mode
 * (`CLAUDE_CODE_USE_BEDROCK=1`, `ANTHROPIC_BEDROCK_BASE_URL=<url>`, AWS credentials in env).
 * Routes: `GET /inference-profiles…`, `POST /model/<id>/invoke` (JSON), `POST
 * /model/<id>/invoke-with-response-stream` (event-stream frames). Content comes from the same
 * `ModelHandler` as the Anthropic fake (default: the offline demo model).
 */

export type BedrockRoute = 'inference-profiles' | 'invoke' | 'invoke-stream' | 'other';

export interface BedrockRecordedRequest {
  index: number;
  method: string;
  /** Path and query as received (model ids stay URL-encoded here). */
  path: string;
  route: BedrockRoute;
  /** URL-decoded model id or inference-profile ARN (model routes only). */
  modelId: string | undefined;
  headers: Record<string, string>;
  auth: BedrockAuth;
  /** Whether `x-amz-security-token` (AWS_SESSION_TOKEN) was sent. */
  securityToken: boolean;
  /** The parsed Messages request (model routes only), as the handler saw it. */
  message: RecordedRequest | undefined;
  /** An access probe: a non-streaming invoke with `max_tokens: 1`. */
  probe: boolean;
}

export interface InferenceProfile {
  id: string;
  arn: string;
  /** ARN of the foundation model the profile routes to. */
  modelArn: string;
}

export interface FakeBedrockOptions {
  port?: number;
  host?: string;
  handler?: ModelHandler;
  logger?: Logger;
  /** When given, SigV4 signatures are checked against it (`auth.signatureValid`). */
  secretAccessKey?: string;
  /** Listed by `GET /inference-profiles`; default none (the list answers 404). */
  inferenceProfiles?: InferenceProfile[];
  /** Send access probes (`max_tokens: 1`) to the handler too; default false (they get "ok"). */
  handleProbes?: boolean;
}

export interface FakeBedrock {
  readonly url: string;
  readonly port: number;
  readonly requests: BedrockRecordedRequest[];
  /** The Messages requests the handler answered (probes excluded unless `handleProbes`). */
  modelRequests(): RecordedRequest[];
  setHandler(handler: ModelHandler): void;
  close(): Promise<void>;
}

const MODEL_RE = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

function routeOf(method: string, pathname: string): { route: BedrockRoute; modelId: string | undefined } {
  const model = MODEL_RE.exec(pathname);
  if (method === 'POST' && model?.[1]) {
    const route = model[2] === 'invoke' ? 'invoke' : 'invoke-stream';
    return { route, modelId: decodeURIComponent(model[1]) };
  }
  if (method === 'GET' && pathname.startsWith('/inference-profiles')) {
    return { route: 'inference-profiles', modelId: undefined };
  }
  return { route: 'other', modelId: undefined };
}

export async function startFakeBedrock(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const requests: BedrockRecordedRequest[] = [];
  const handled: RecordedRequest[] = [];
  let handler: ModelHandler = options.handler ?? demoModel;
  const closing = new AbortController();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const { pathname } = new URL(path, 'http://localhost');
    const raw = await readBody(req);
    const { route, modelId } = routeOf(method, pathname);
    const record: BedrockRecordedRequest = {
      index: requests.length,
      method,
      path,
      route,
      modelId,
      headers: maskHeaders(req.headers),
      auth: readBedrockAuth({ method, url: path, headers: req.headers, body: raw }, options.secretAccessKey),
      securityToken: req.headers['x-amz-security-token'] !== undefined,
      message: undefined,
      probe: false,
    };
    requests.push(record);

    if (route === 'inference-profiles')
      return inferenceProfiles(res, pathname, options.inferenceProfiles ?? []);
    if (route === 'other' || modelId === undefined) {
      return bedrockError(res, { kind: 'error', status: 404, message: `no route ${method} ${pathname}` });
    }
    const body = parseMessagesBody(raw);
    const stream = route === 'invoke-stream';
    const message: RecordedRequest = {
      index: handled.length,
      method,
      path,
      headers: record.headers,
      body: { ...body, model: modelId, stream },
      model: modelId,
      stream,
      bodyChars: raw.length,
    };
    record.message = message;
    record.probe = !stream && body.max_tokens === 1;
    const meta: RenderMeta = { messageId: newMessageId(), model: modelId, bodyChars: raw.length };
    if (record.probe && options.handleProbes !== true) {
      return sendJson(res, 200, messageJson({ kind: 'text', text: 'ok' }, meta));
    }
    handled.push(message);
    const gone = clientGone(req, res);
    const signal = AbortSignal.any([gone.signal, closing.signal]);
    const reply = await resolveReply(handler, message, { index: message.index, signal });
    if (signal.aborted) return;
    send(res, stream, reply, meta);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error('fake bedrock request failed', { err: errorMessage(err), path: req.url });
      if (res.headersSent) return void res.destroy();
      bedrockError(res, { kind: 'error', status: 400, message: `[bedrock] ${errorMessage(err)}` });
    });
  });
  const port = await listen(server, options.port ?? 0, host);

  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    requests,
    modelRequests: () => [...handled],
    setHandler: (next) => {
      handler = next;
    },
    close: async () => {
      closing.abort();
      await closeServer(server);
    },
  };
}

const EVENTSTREAM_HEADERS = { 'content-type': 'application/vnd.amazon.eventstream' };

function send(res: ServerResponse, stream: boolean, reply: FinalReply, meta: RenderMeta): void {
  switch (reply.kind) {
    case 'error':
      return bedrockError(res, reply);
    case 'drop':
      if (!stream) return void res.destroy();
      res.writeHead(200, EVENTSTREAM_HEADERS);
      res.write(Buffer.concat(partialStreamEvents(reply, meta).map(encodeChunk)), () => res.destroy());
      return;
    default:
      if (!stream) return sendJson(res, 200, messageJson(reply, meta));
      res.writeHead(200, EVENTSTREAM_HEADERS);
      res.end(Buffer.concat(streamEvents(reply, meta).map(encodeChunk)));
  }
}

const BEDROCK_ERRORS: Record<number, string> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

/** Bedrock-style error: `{message}` plus the `x-amzn-errortype` header the AWS SDKs read. */
function bedrockError(res: ServerResponse, reply: ErrorReply): void {
  const type =
    BEDROCK_ERRORS[reply.status] ??
    (reply.status >= 500 ? 'ServiceUnavailableException' : 'ValidationException');
  const headers: Record<string, string> = {
    'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  };
  if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.retryAfterSeconds);
  sendJson(
    res,
    reply.status,
    { message: reply.message ?? `[fake bedrock] scripted ${reply.status} ${errorType(reply.status)}` },
    headers,
  );
}

function inferenceProfiles(res: ServerResponse, pathname: string, profiles: InferenceProfile[]): void {
  const summary = (p: InferenceProfile) => ({
    inferenceProfileId: p.id,
    inferenceProfileArn: p.arn,
    inferenceProfileName: p.id,
    models: [{ modelArn: p.modelArn }],
    status: 'ACTIVE',
    type: 'SYSTEM_DEFINED',
  });
  const rest = decodeURIComponent(pathname.slice('/inference-profiles'.length).replace(/^\//, ''));
  if (rest === '') {
    if (profiles.length === 0)
      return bedrockError(res, { kind: 'error', status: 404, message: 'no inference profiles' });
    return sendJson(res, 200, { inferenceProfileSummaries: profiles.map(summary) });
  }
  const profile = profiles.find((p) => p.id === rest || p.arn === rest);
  if (!profile)
    return bedrockError(res, { kind: 'error', status: 404, message: `inference profile ${rest} not found` });
  sendJson(res, 200, summary(profile));
}
