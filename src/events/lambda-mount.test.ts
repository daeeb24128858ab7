import { describe, expect, it } from 'vitest';
import { IssueList } from '../config/agent-config/issues.js';
import { parseEventRoutes } from '../config/agent-config/events.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { QueuedMessage } from '../queue/types.js';
import { createMemoryClaimStore } from '../schedules/store/memory.js';
import { createTelegramWebhookLambda, type ApiGatewayV2Event } from '../telegram/ingress/lambda.js';
import { eventRoutes } from './route.js';

const TOKEN = 'lambda-events-token-0123456789abcd';

describe('events behind the ingress Lambda', () => {
  it('serves POST /v1/events/:tenant beside the Telegram webhook', async () => {
    const queued: QueuedMessage[] = [];
    const clock = new ManualClock(Date.parse('2026-12-02T04:00:00Z'));
    const events = eventRoutes({
      tenants: () => ({
        tokens: [TOKEN],
        routes: parseEventRoutes(
          'version: 1\nroutes:\n  - { name: all, prompt: "{{title}}", target: { chat: 3 } }\n',
          new IssueList(),
        ),
      }),
      claims: createMemoryClaimStore({ clock }),
      queue: { enqueue: async (item) => void queued.push(item) },
      logger: silentLogger,
      clock,
    });
    const lambda = createTelegramWebhookLambda({ resolve: () => undefined }, { events });
    const event = (body: string, authorization: string): ApiGatewayV2Event => ({
      rawPath: '/v1/events/acme',
      headers: { authorization, 'content-type': 'application/json' },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST' } },
    });
    const ok = await lambda(event(JSON.stringify({ title: 'Lambda alert', id: 'l1' }), `Bearer ${TOKEN}`));
    expect(ok.statusCode).toBe(202);
    expect(JSON.parse(ok.body)).toMatchObject({ status: 'queued' });
    const bad = await lambda(event('{}', 'Bearer nope'));
    expect(bad.statusCode).toBe(401);
    expect(queued).toHaveLength(1);
    const telegram = await lambda({ ...event('{}', ''), rawPath: '/telegram/acme' });
    expect(telegram.statusCode).toBe(404);
  });
});
