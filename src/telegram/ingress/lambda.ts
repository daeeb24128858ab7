import { Hono } from 'hono';
import { handle, type APIGatewayProxyResult, type LambdaEvent } from 'hono/aws-lambda';
import { mountTelegramWebhook, type TelegramWebhookOptions } from './webhook.js';

/** The parts of an API Gateway HTTP API (payload v2) event the webhook reads. */
export interface ApiGatewayV2Event {
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string } };
}

/** What API Gateway gets back (hono's `aws-lambda` result). */
export type ApiGatewayV2Result = APIGatewayProxyResult;

const MALFORMED: ApiGatewayV2Result = {
  statusCode: 400,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ ok: false, error: 'malformed request' }),
  isBase64Encoded: false,
};

/**
 * Why hono's adapter would refuse the event (it answers those with a plain-text 400 or, for a bad
 * base64 body, a 500): header values fetch's `Headers` refuses (API Gateway passes non-Latin-1
 * characters, line breaks…) and bodies that are not base64 though marked so. Those are the
 * caller's fault: 400 with our JSON body, never a rejected invocation.
 */
function isMalformed(event: ApiGatewayV2Event, hasBody: boolean): boolean {
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (value !== undefined) headers.set(name, value);
    }
    if (hasBody && event.isBase64Encoded) atob(event.body ?? '');
    return false;
  } catch {
    return true;
  }
}

/**
 * The webhook as a Lambda handler: API Gateway v2 → the same Hono route, through
 * `hono/aws-lambda` (which decodes base64 bodies). A GET/HEAD body is dropped (a fetch `Request`
 * cannot carry one); an event the adapter cannot represent is a 400 (`isMalformed`).
 */
export function createTelegramWebhookLambda(
  options: TelegramWebhookOptions,
): (event: ApiGatewayV2Event) => Promise<ApiGatewayV2Result> {
  const app = mountTelegramWebhook(new Hono(), options);
  const handler = handle(app);
  return async (event) => {
    const method = event.requestContext.http.method.toUpperCase();
    const hasBody = event.body !== undefined && method !== 'GET' && method !== 'HEAD';
    if (isMalformed(event, hasBody)) return MALFORMED;
    const { body: _body, ...rest } = event;
    const normalized = { ...rest, ...(hasBody ? { body: event.body } : {}) };
    // The adapter reads only the fields `ApiGatewayV2Event` declares (rawPath, rawQueryString,
    // headers, cookies, body, isBase64Encoded, requestContext.http.method / domainName); the rest of
    // its full API Gateway type is what API Gateway sends besides.
    return handler(normalized as unknown as LambdaEvent);
  };
}
