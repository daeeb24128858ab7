import type { Hono } from 'hono';
import { streamHandle } from 'hono/aws-lambda';
import type { Writable } from 'node:stream';
import { ConfigError } from '../../core/errors.js';
import type { ApiEnv } from '../../server/context.js';

/** The response stream the Lambda Node.js runtime hands a streaming handler (a `Writable` to RAPID). */
export type LambdaResponseStream = Writable & { setContentType(contentType: string): void };

/** A response-streaming handler as the runtime calls it: it must return a promise. */
export type StreamingHandler = (
  event: unknown,
  responseStream: LambdaResponseStream,
  context: unknown,
) => Promise<void>;

/**
 * The `awslambda` global the Lambda Node.js runtime (and the AWS Node.js base images) defines before
 * loading the handler module. `streamifyResponse` marks the handler so the runtime invokes it with a
 * response stream; `HttpResponseStream.from` makes the stream start with the Function URL's HTTP
 * prelude (`{ statusCode, headers, cookies }` + 8 NUL bytes). Hono's `streamHandle` uses both.
 */
export interface LambdaStreamingRuntime {
  streamifyResponse<H extends StreamingHandler>(handler: H): H;
  HttpResponseStream: {
    from(stream: LambdaResponseStream, prelude: Record<string, unknown>): LambdaResponseStream;
  };
}

/** The runtime's `awslambda` global, or a `ConfigError` saying where the handler must run. */
export function lambdaStreamingRuntime(scope: object = globalThis): LambdaStreamingRuntime {
  const candidate = (scope as { awslambda?: Partial<LambdaStreamingRuntime> }).awslambda;
  if (
    typeof candidate?.streamifyResponse !== 'function' ||
    typeof candidate.HttpResponseStream?.from !== 'function'
  )
    throw new ConfigError([
      {
        file: 'runtime',
        field: 'awslambda',
        message:
          'missing: the API handler streams its responses and must run in the Lambda Node.js runtime (with AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA unset)',
      },
    ]);
  return candidate as LambdaStreamingRuntime;
}

/**
 * The API as a response-streaming Lambda handler (Function URL `InvokeMode: RESPONSE_STREAM`):
 * Hono's `streamHandle` writes each response's status and headers as the prelude, then pipes the
 * body as the app produces it — an SSE turn reaches the client event by event, a JSON answer in
 * one piece. The handler is marked at import (the runtime reads the mark when it loads the module);
 * the app is built on the first invocation and kept, and built again after a failed start.
 */
export function streamingApiHandler(
  runtime: LambdaStreamingRuntime,
  buildApp: () => Promise<Hono<ApiEnv>>,
): StreamingHandler {
  let ready: Promise<StreamingHandler> | undefined;
  const start = (): Promise<StreamingHandler> =>
    (ready ??= buildApp().then(
      // hono types `streamHandle` as a buffered handler; at run time it is `streamifyResponse(fn)`.
      (app) => streamHandle(app) as unknown as StreamingHandler,
      (err: unknown) => {
        ready = undefined;
        throw err;
      },
    ));
  return runtime.streamifyResponse(async (event, responseStream, context) => {
    const handler = await start();
    await handler(event, responseStream, context);
  });
}
