import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of one peer (fauxqs S3/SQS, DynamoDB Local,
 * the fake Bot API). For each request `decide` returns what to do: forward it, answer with an
 * error in the service's own format, reset the connection (before or after the peer saw the
 * request — the latter is a lost response with an unknown outcome), add latency, or hold it until
 * a promise settles. It counts requests, faults, and SDK retries (the AWS SDK's
 * `amz-sdk-request: attempt=N` header), so a suite can prove retries were bounded — in total and
 * per operation — and logs every injected fault with the keys it concerned (`faultLog`), so a
 * suite can attribute a slow message to the faults that hit its conversation.
 */
export type Service = 's3' | 'dynamodb' | 'sqs' | 'telegram' | 'other';

export interface ProxiedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  service: Service;
  /** `PutObject`, `TransactWriteItems`, `ReceiveMessage`, `sendMessage`… */
  operation: string;
  /** AWS SDK attempt number (1 for the first try). */
  attempt: number;
}

export type Fault =
  | { kind: 'error'; status: number; headers: Record<string, string>; body: string; label: string }
  | { kind: 'reset' }
  /** Forward, then destroy the socket instead of answering: the peer applied it, the client cannot know. */
  | { kind: 'lost-response' }
  | { kind: 'delay'; ms: number }
  | { kind: 'hold'; until: Promise<unknown> };

export type Decide = (request: ProxiedRequest) => Fault | undefined;

export interface ProxyStats {
  requests: number;
  forwarded: number;
  /** Faults injected, by label (`reset`, `delay`, `S3 SlowDown 503`…). */
  faults: Record<string, number>;
  /** Requests that were an SDK retry (attempt ≥ 2). */
  retries: number;
  /** Highest SDK attempt number seen. */
  maxAttempt: number;
  /** Requests per operation. */
  operations: Record<string, number>;
  /** Per operation: requests, SDK retries and faults by label. */
  byOperation: Record<string, OperationStats>;
  /** Every fault injected, in order. */
  faultLog: FaultRecord[];
}

export interface OperationStats {
  requests: number;
  retries: number;
  faults: Record<string, number>;
}

/** One injected fault: when, where, what, and the keys the request (or its lost response) named. */
export interface FaultRecord {
  /** `Date.now()` when the fault was injected (a lost response: when it was dropped). */
  at: number;
  service: Service;
  operation: string;
  /** The fault's label (`lost-response`, `reset`, `delay`, `DynamoDB InternalServerError 500`…). */
  kind: string;
  attempt: number;
  /**
   * What the request concerned, where the proxy can read it: DynamoDB `pk`/`sk` values (and a
   * Query's key values), S3 object keys, SQS `group:<MessageGroupId>` (a send, a lost receive's
   * messages, a delete or visibility change by a receipt handle seen before) and `body:<body>` of
   * the messages a lost receive carried. Empty when nothing was readable (e.g. a receive refused
   * before SQS answered).
   */
  keys: string[];
}

export interface FaultProxy {
  readonly url: string;
  readonly stats: ProxyStats;
  setDecide(decide: Decide): void;
  resetStats(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(options: { target: string; decide?: Decide }): Promise<FaultProxy> {
  const target = new URL(options.target);
  let decide: Decide = options.decide ?? (() => undefined);
  /** Incremented by `setDecide`: which policy a request was decided under. */
  let epoch = 0;
  const fresh = (): ProxyStats => ({
    requests: 0,
    forwarded: 0,
    faults: {},
    retries: 0,
    maxAttempt: 0,
    operations: {},
    byOperation: {},
    faultLog: [],
  });
  let stats = fresh();
  const sockets = new Set<Socket>();
  /** SQS receipt handle → message group, from the receive responses seen (deletes name handles only). */
  const groupsByHandle = new Map<string, string>();
  const opStats = (operation: string): OperationStats =>
    (stats.byOperation[operation] ??= { requests: 0, retries: 0, faults: {} });
  const count = (label: string, request: ProxiedRequest, keys?: string[]): void => {
    stats.faults[label] = (stats.faults[label] ?? 0) + 1;
    const op = opStats(request.operation);
    op.faults[label] = (op.faults[label] ?? 0) + 1;
    stats.faultLog.push({
      at: Date.now(),
      service: request.service,
      operation: request.operation,
      kind: label,
      attempt: request.attempt,
      keys: keys ?? requestKeys(request, groupsByHandle),
    });
  };

  const forward = (req: ProxiedRequest, onResponse: (res: IncomingMessage) => void, onError: () => void) => {
    stats.forwarded++;
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'content-length': String(req.body.length) },
      },
      onResponse,
    );
    upstream.on('error', onError);
    upstream.end(req.body);
  };

  const server = createServer((incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const request = describe(incoming, body);
        stats.requests++;
        stats.operations[request.operation] = (stats.operations[request.operation] ?? 0) + 1;
        const op = opStats(request.operation);
        op.requests++;
        if (request.attempt > 1) op.retries++;
        if (request.attempt > 1) stats.retries++;
        stats.maxAttempt = Math.max(stats.maxAttempt, request.attempt);
        const fault = decide(request);
        const decidedIn = epoch;
        if (fault?.kind === 'reset') {
          count('reset', request);
          incoming.socket.destroy();
          return;
        }
        if (fault?.kind === 'error') {
          count(fault.label, request);
          res.writeHead(fault.status, { ...fault.headers, 'content-length': Buffer.byteLength(fault.body) });
          res.end(fault.body);
          return;
        }
        if (fault?.kind === 'delay') {
          count('delay', request);
          await new Promise((resolve) => setTimeout(resolve, fault.ms));
        }
        if (fault?.kind === 'hold') {
          count('hold', request);
          await fault.until.catch(() => undefined);
        }
        // The client went away meanwhile (e.g. a killed worker): the request is never sent on.
        if (!sockets.has(incoming.socket) || incoming.socket.destroyed) return;
        forward(
          request,
          (upstream) => {
            // A response lost under a policy that was replaced meanwhile (e.g. a long poll that
            // began in an earlier phase of a test) is delivered: each phase sees only its own faults.
            if (fault?.kind === 'lost-response' && decidedIn === epoch) {
              const chunks: Buffer[] = [];
              upstream.on('data', (c: Buffer) => chunks.push(c));
              upstream.on('end', () => {
                // What the client never saw: for a receive, the messages SQS handed out.
                const lostKeys = [
                  ...requestKeys(request, groupsByHandle),
                  ...responseKeys(request, Buffer.concat(chunks), groupsByHandle),
                ];
                count('lost-response', request, [...new Set(lostKeys)]);
                incoming.socket.destroy();
              });
              return;
            }
            res.writeHead(upstream.statusCode ?? 502, upstream.headers);
            if (request.service === 'sqs' && request.operation === 'ReceiveMessage') {
              // Learn receipt handle → group (a later fault on a delete names only the handle).
              const chunks: Buffer[] = [];
              upstream.on('data', (c: Buffer) => chunks.push(c));
              upstream.on('end', () => void responseKeys(request, Buffer.concat(chunks), groupsByHandle));
            }
            upstream.pipe(res);
          },
          () => incoming.socket.destroy(),
        );
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get stats() {
      return stats;
    },
    setDecide: (next) => {
      decide = next;
      epoch += 1;
    },
    resetStats: () => {
      stats = fresh();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function describe(incoming: IncomingMessage, body: Buffer): ProxiedRequest {
  const headers = incoming.headers;
  const method = incoming.method ?? 'GET';
  const url = incoming.url ?? '/';
  const attempt = Number(/attempt=(\d+)/.exec(String(headers['amz-sdk-request'] ?? ''))?.[1] ?? '1') || 1;
  const amzTarget = String(headers['x-amz-target'] ?? '');
  let service: Service = 'other';
  let operation = `${method} ${url.split('?')[0]}`;
  if (amzTarget.startsWith('DynamoDB_')) {
    service = 'dynamodb';
    operation = amzTarget.split('.')[1] ?? amzTarget;
  } else if (amzTarget.startsWith('AmazonSQS.')) {
    service = 'sqs';
    operation = amzTarget.slice('AmazonSQS.'.length);
  } else if (/^\/bot[^/]+\/[A-Za-z]+/.test(url)) {
    service = 'telegram';
    operation = /^\/bot[^/]+\/([A-Za-z]+)/.exec(url)?.[1] ?? operation;
  } else if (
    headers['x-amz-content-sha256'] !== undefined ||
    /^AWS4-HMAC-SHA256/.test(String(headers.authorization ?? ''))
  ) {
    service = 's3';
    operation = s3Operation(method, url);
  }
  return { method, url, headers, body, service, operation, attempt };
}

/** JSON body of a request or response, or undefined. */
function json(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Every `pk`/`sk` string value anywhere in a DynamoDB JSON body (keys, items, transactions, batches). */
function dynamoKeys(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => dynamoKeys(v, out));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const s = (v as { S?: unknown } | null)?.S;
      if ((k === 'pk' || k === 'sk') && typeof s === 'string') out.add(s);
      else dynamoKeys(v, out);
    }
  }
}

/** The keys a request names (see `FaultRecord.keys`). */
function requestKeys(request: ProxiedRequest, groupsByHandle: Map<string, string>): string[] {
  const out = new Set<string>();
  if (request.service === 'dynamodb') {
    const body = json(request.body) as { ExpressionAttributeValues?: Record<string, { S?: unknown }> };
    dynamoKeys(body, out);
    if (request.operation === 'Query') {
      for (const v of Object.values(body?.ExpressionAttributeValues ?? {}))
        if (typeof v?.S === 'string') out.add(v.S);
    }
  } else if (request.service === 's3') {
    const path = decodeURIComponent(request.url.split('?')[0] ?? '');
    const key = path.split('/').filter(Boolean).slice(1).join('/');
    if (key) out.add(key);
  } else if (request.service === 'sqs') {
    const body = json(request.body) as {
      MessageGroupId?: unknown;
      ReceiptHandle?: unknown;
      Entries?: Array<{ MessageGroupId?: unknown; ReceiptHandle?: unknown }>;
    };
    for (const e of [body ?? {}, ...(body?.Entries ?? [])]) {
      if (typeof e.MessageGroupId === 'string') out.add(`group:${e.MessageGroupId}`);
      const group = typeof e.ReceiptHandle === 'string' ? groupsByHandle.get(e.ReceiptHandle) : undefined;
      if (group) out.add(`group:${group}`);
    }
  }
  return [...out];
}

/** The keys an SQS receive response carries (and its receipt handles → groups, remembered). */
function responseKeys(request: ProxiedRequest, body: Buffer, groupsByHandle: Map<string, string>): string[] {
  if (request.service !== 'sqs' || request.operation !== 'ReceiveMessage') return [];
  const out: string[] = [];
  const messages =
    (
      json(body) as {
        Messages?: Array<{ ReceiptHandle?: string; Body?: string; Attributes?: Record<string, string> }>;
      }
    )?.Messages ?? [];
  for (const m of messages) {
    const group = m.Attributes?.MessageGroupId;
    if (group) {
      out.push(`group:${group}`);
      if (m.ReceiptHandle) groupsByHandle.set(m.ReceiptHandle, group);
    }
    if (m.Body !== undefined) out.push(`body:${m.Body}`);
  }
  return out;
}

function s3Operation(method: string, url: string): string {
  const [path = '/', query = ''] = url.split('?');
  const isObject = path.split('/').filter(Boolean).length > 1;
  if (method === 'PUT') return isObject ? 'PutObject' : 'CreateBucket';
  if (method === 'GET')
    return isObject ? 'GetObject' : query.includes('list-type') ? 'ListObjectsV2' : 'ListBucket';
  if (method === 'HEAD') return isObject ? 'HeadObject' : 'HeadBucket';
  if (method === 'DELETE') return isObject ? 'DeleteObject' : 'DeleteBucket';
  if (method === 'POST' && query.includes('delete')) return 'DeleteObjects';
  return `${method} s3`;
}

/** Errors as each service really sends them (what the AWS SDK's retry classifier keys on). */
export const serviceErrors = {
  s3SlowDown: (): Fault => ({
    kind: 'error',
    label: 'S3 SlowDown 503',
    status: 503,
    headers: { 'content-type': 'application/xml' },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
      '<Message>Please reduce your request rate.</Message><RequestId>FAULT</RequestId></Error>',
  }),
  s3Internal: (): Fault => ({
    kind: 'error',
    label: 'S3 InternalError 500',
    status: 500,
    headers: { 'content-type': 'application/xml' },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>' +
      '<Message>We encountered an internal error. Please try again.</Message><RequestId>FAULT</RequestId></Error>',
  }),
  dynamoThroughput: (): Fault => ({
    kind: 'error',
    label: 'DynamoDB ProvisionedThroughputExceeded 400',
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    }),
  }),
  dynamoInternal: (): Fault => ({
    kind: 'error',
    label: 'DynamoDB InternalServerError 500',
    status: 500,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
      message: 'Internal server error',
    }),
  }),
  sqsThrottling: (): Fault => ({
    kind: 'error',
    label: 'SQS ThrottlingException 400',
    status: 400,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': 'ThrottlingException;Sender',
    },
    body: JSON.stringify({ __type: 'com.amazonaws.sqs#ThrottlingException', message: 'Rate exceeded' }),
  }),
  unavailable: (): Fault => ({
    kind: 'error',
    label: 'HTTP 503',
    status: 503,
    headers: { 'content-type': 'text/plain' },
    body: 'Service Unavailable',
  }),
};

/** The service's own throttling error, or a plain 503 for others. */
export function throttlingFor(service: Service): Fault {
  if (service === 's3') return serviceErrors.s3SlowDown();
  if (service === 'dynamodb') return serviceErrors.dynamoThroughput();
  if (service === 'sqs') return serviceErrors.sqsThrottling();
  return serviceErrors.unavailable();
}

export function internalErrorFor(service: Service): Fault {
  if (service === 's3') return serviceErrors.s3Internal();
  if (service === 'dynamodb') return serviceErrors.dynamoInternal();
  return serviceErrors.unavailable();
}

/**
 * A seeded random fault mix: with probability `rate`, one of 5xx, throttling, reset, lost
 * response (optional) or 50–400 ms latency, chosen uniformly.
 */
export function randomFaults(options: {
  rate: number;
  random: () => number;
  lostResponses?: boolean;
  only?: (r: ProxiedRequest) => boolean;
}): Decide {
  const kinds = ['5xx', 'throttle', 'reset', 'delay', ...(options.lostResponses ? ['lost'] : [])];
  return (request) => {
    if (options.only && !options.only(request)) return undefined;
    if (options.random() >= options.rate) return undefined;
    const kind = kinds[Math.floor(options.random() * kinds.length)];
    if (kind === '5xx') return internalErrorFor(request.service);
    if (kind === 'throttle') return throttlingFor(request.service);
    if (kind === 'reset') return { kind: 'reset' };
    if (kind === 'lost') return { kind: 'lost-response' };
    return { kind: 'delay', ms: 50 + Math.floor(options.random() * 350) };
  };
}

/** A small seeded PRNG (mulberry32) so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
