import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../queue/message.js';
import { createMemoryClaimStore } from '../schedules/store/memory.js';
import { IssueList } from '../config/agent-config/issues.js';
import { parseEventRoutes } from '../config/agent-config/events.js';
import { eventRoutes } from './route.js';

const TOKEN = 'prop-token-0123456789abcdef0123';
const routes = parseEventRoutes(
  'version: 1\nroutes:\n  - name: all\n    prompt: "{{title}} {{details}} {{raw}}"\n    target: { chat: 5 }\n    rateLimit: { max: 1000 }\n',
  new IssueList(),
);

/** Bodies near the generic schema: right and wrong types, edge strings, odd times, deep details. */
const nearGeneric = fc.record(
  {
    title: fc.oneof(fc.string({ maxLength: 250 }), fc.constant(''), fc.constant('\n\t'), fc.integer()),
    id: fc.oneof(fc.string({ maxLength: 220 }), fc.constant(null)),
    state: fc.string({ maxLength: 50 }),
    severity: fc.oneof(fc.string({ maxLength: 50 }), fc.boolean()),
    time: fc.oneof(
      fc.double(),
      fc.integer({ min: 0, max: 8_000_000_000_000 }),
      fc
        .date({ min: new Date(1990, 0, 1), max: new Date(2300, 0, 1), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.string({ maxLength: 45 }),
    ),
    details: fc.oneof(
      fc.jsonValue({ maxDepth: 10 }),
      fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 })),
    ),
    extra: fc.anything({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** Bodies the schema should take: any text title, optional fields of the right types. */
const validGeneric = fc.record(
  {
    title: fc.string({ minLength: 1, maxLength: 200 }).filter((t) => t.trim().length > 0),
    id: fc.string({ minLength: 1, maxLength: 200 }),
    state: fc.constantFrom('ALARM', 'OK', 'firing'),
    time: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2199, 0, 1) }),
    details: fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 10 }),
  },
  { requiredKeys: ['title'] },
);

describe('generic event schema (property)', () => {
  it('never answers 5xx: accepted bodies queue a valid item, refused ones are a 400 naming a field', async () => {
    const queued: unknown[] = [];
    const clock = new ManualClock(Date.parse('2026-12-02T04:00:00Z'));
    const app = eventRoutes({
      tenants: () => ({ tokens: [TOKEN], routes }),
      claims: createMemoryClaimStore({ clock }),
      queue: { enqueue: async (item) => void queued.push(decodeQueuedMessage(encodeQueuedMessage(item))) },
      logger: silentLogger,
      clock,
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(validGeneric, nearGeneric), async (body) => {
        const text = JSON.stringify(body);
        const res = await app.request('/acme', {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}` },
          body: text,
        });
        expect(res.status).toBeLessThan(500);
        const json = (await res.json()) as { status?: string; error?: { issues?: { path: string }[] } };
        if (res.status === 202) {
          expect(['queued', 'duplicate']).toContain(json.status);
        } else {
          expect(res.status).toBe(400);
          const top = (json.error?.issues?.[0]?.path ?? '').split(/[.[]/)[0];
          expect(top).toMatch(/^(title|id|state|severity|time|details|extra)$/);
        }
      }),
      { numRuns: 300 },
    );
    expect(queued.length).toBeGreaterThan(0);
  });
});
