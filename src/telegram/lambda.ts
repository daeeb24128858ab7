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
    const headers = new Headers();
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (value !== undefined) headers.set(name, value);
    }
    const hasBody = event.body !== undefined && method !== 'GET' && method !== 'HEAD';
    const body = hasBody
      ? Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8')
      : undefined;
    if (body) headers.set('content-length', String(body.length));
    const response = await app.fetch(
      new Request(`https://lambda.local${event.rawPath}${query}`, {
        method,
        headers,
        ...(body ? { body } : {}),
      }),
    );
    return {
      statusCode: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: await response.text(),
    };
  };
}
