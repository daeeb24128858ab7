import { Hono } from 'hono';
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

export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The webhook as a Lambda handler (API Gateway v2 → the same Hono route). Base64 bodies are
 * decoded here (grammY's `aws-lambda-async` adapter does not).
 */
export function createTelegramWebhookLambda(
  options: TelegramWebhookOptions,
): (event: ApiGatewayV2Event) => Promise<ApiGatewayV2Result> {
  const app = mountTelegramWebhook(new Hono(), options);
  return async (event) => {
    const method = event.requestContext.http.method.toUpperCase();
    const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
    const hasBody = event.body !== undefined && method !== 'GET' && method !== 'HEAD';
    const body = hasBody
      ? Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8')
      : undefined;
    let request: Request;
    try {
      // API Gateway passes header values fetch's `Headers` refuses (e.g. non-Latin-1 characters):
      // a request we cannot represent is the caller's fault (400), not a rejected invocation (500).
      const headers = new Headers();
      for (const [name, value] of Object.entries(event.headers ?? {})) {
        if (value !== undefined) headers.set(name, value);
      }
      if (body) headers.set('content-length', String(body.length));
      const url = `https://lambda.local${event.rawPath}${query}`;
      request = new Request(url, { method, headers, ...(body ? { body } : {}) });
    } catch {
      const error = JSON.stringify({ ok: false, error: 'malformed request' });
      return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: error };
    }
    const response = await app.fetch(request);
    return {
      statusCode: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: await response.text(),
    };
  };
}
