/**
 * A Telegram webhook POST as the ingress Lambda receives it (API Gateway HTTP API, payload 2.0):
 * `body` JSON, base64-encoded, with the webhook's secret-token header.
 */
export function telegramWebhookEvent(body: unknown, secret: string, tenant = 'default') {
  const path = `/telegram/${tenant}`;
  return {
    version: '2.0',
    routeKey: 'POST /telegram/{tenant}',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    requestContext: { http: { method: 'POST', path }, requestId: 'req-1' },
    pathParameters: { tenant },
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    isBase64Encoded: true,
  };
}
