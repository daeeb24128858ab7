import { Writable } from 'node:stream';
import type {
  LambdaResponseStream,
  LambdaStreamingRuntime,
  StreamingHandler,
} from '../../src/app/lambda/stream.js';

/**
 * The parts of the Lambda Node.js runtime (aws-lambda-nodejs-runtime-interface-client) a
 * response-streaming handler meets, reproduced for in-process tests:
 *
 * - `awslambda.streamifyResponse` marks the handler with `Symbol.for('aws.lambda.runtime.handler.streaming')
 *   = 'response'` and returns it (src/utils/globals.ts); the runtime streams only marked handlers.
 * - the response stream is a writable whose `write` runs `_onBeforeFirstWrite` once, before the first
 *   write, and whose `setContentType` throws once something was written (src/stream/response-stream.ts).
 * - `HttpResponseStream.from` sets the content type `application/vnd.awslambda.http-integration-response`
 *   and installs a first-write hook writing the JSON prelude, then 8 NUL bytes
 *   (src/stream/http-response-stream.ts): what a Function URL in RESPONSE_STREAM mode turns into
 *   the HTTP status line and headers.
 * - the invocation requires a promise, awaits it and the RAPID request (done once the stream has
 *   finished), then fails unless the stream finished (src/runtime/streaming-invoke-processor.ts).
 */
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER_LEN = 8;

/** One write as it reached the runtime: its bytes and when (ms since the invocation began). */
export interface WrittenChunk {
  at: number;
  bytes: Buffer;
}

/** The response stream the runtime would pipe to RAPID, recording every chunk as it arrives. */
export class RecordingResponseStream extends Writable {
  readonly chunks: WrittenChunk[] = [];
  contentType = 'application/octet-stream';
  _onBeforeFirstWrite: ((write: (chunk: string | Uint8Array) => void) => void) | undefined;
  private started = false;
  private readonly began = performance.now();

  setContentType(contentType: string): void {
    if (this.started) throw new Error('Cannot set content-type, too late.');
    this.contentType = contentType;
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (!this.started) {
      this.started = true;
      this._onBeforeFirstWrite?.((c) => super.write(c));
    }
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    return super.write(data, encoding as BufferEncoding, callback as (error?: Error | null) => void);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (chunk.length > 0) this.chunks.push({ at: performance.now() - this.began, bytes: chunk });
    done();
  }

  /** Everything written so far. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks.map((c) => c.bytes));
  }
}

/** Installs the `awslambda` global as the runtime does before it loads the handler module. */
export function installAwsLambdaGlobal(): () => void {
  const scope = globalThis as { awslambda?: LambdaStreamingRuntime };
  const previous = scope.awslambda;
  const runtime: LambdaStreamingRuntime = {
    streamifyResponse: (handler) => Object.assign(handler, { [HANDLER_STREAMING]: 'response' }),
    HttpResponseStream: {
      from(stream: LambdaResponseStream, prelude: Record<string, unknown>) {
        stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
        const metadata = JSON.stringify(prelude);
        (stream as RecordingResponseStream)._onBeforeFirstWrite = (write) => {
          write(metadata);
          write(new Uint8Array(DELIMITER_LEN));
        };
        return stream;
      },
    },
  };
  scope.awslambda = runtime;
  return () => {
    if (previous === undefined) delete scope.awslambda;
    else scope.awslambda = previous;
  };
}

/** The HTTP response a Function URL makes of a streamed invocation. */
export interface StreamedHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
}

/** Decodes the stream as the Function URL does: JSON prelude, 8 NUL bytes, then the body. */
export function decodeHttpIntegration(stream: RecordingResponseStream): StreamedHttpResponse {
  if (stream.contentType !== HTTP_INTEGRATION_CONTENT_TYPE)
    throw new Error(`not an HTTP integration response (content type ${stream.contentType})`);
  const all = stream.bytes();
  const delimiter = all.indexOf(Buffer.alloc(DELIMITER_LEN));
  if (delimiter < 0) throw new Error('no prelude delimiter (8 NUL bytes) in the response stream');
  const prelude = JSON.parse(all.subarray(0, delimiter).toString('utf8')) as Partial<StreamedHttpResponse>;
  return {
    statusCode: prelude.statusCode ?? 200,
    headers: prelude.headers ?? {},
    cookies: prelude.cookies ?? [],
    body: all.subarray(delimiter + DELIMITER_LEN).toString('utf8'),
  };
}

/** Invokes `handler` as the runtime's streaming invoke processor does; resolves once it finished. */
export async function invokeStreaming(
  handler: unknown,
  event: unknown,
  stream = new RecordingResponseStream(),
): Promise<RecordingResponseStream> {
  if (
    typeof handler !== 'function' ||
    (handler as { [HANDLER_STREAMING]?: unknown })[HANDLER_STREAMING] !== 'response'
  )
    throw new Error('the handler is not marked for response streaming (awslambda.streamifyResponse)');
  const result: unknown = (handler as StreamingHandler)(event, stream, { awsRequestId: 'req-stream-1' });
  if (!(result instanceof Promise)) throw new Error('Streaming does not support non-async handlers.');
  await result;
  // The runtime then awaits its request to RAPID, which completes once the stream has finished (an
  // `end()` just before the handler returned finishes on the next tick); a stream never ended would
  // hold that request until the timeout, reported here at once.
  if (!stream.writableEnded) throw new Error('Response stream is not finished.');
  if (!stream.writableFinished) await new Promise((done) => stream.once('finish', done));
  return stream;
}

/** A Function URL event (payload format 2.0) for `method path` with `headers` and a JSON `body`. */
export function functionUrlEvent(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
) {
  const domainName = 'abc123.lambda-url.eu-west-1.on.aws';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: domainName,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName,
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' },
      requestId: 'req-api-1',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:15:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    isBase64Encoded: false,
  };
}
