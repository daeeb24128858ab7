import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CALLBACK_DATA_LIMIT,
  isSessionData,
  parseSessionData,
  sessionButtonData,
} from '../../src/telegram/session-data.js';
import { UNICODE_TRICKS, trickyText } from './arbitraries.js';
import { RUNS, SEED, createFigures, since } from './figures.js';

/**
 * Fuzzes the data of the `/sessions` switch buttons (`ss:<session id>`, parsed in
 * `src/telegram/ingress/session-button.ts` from whatever a client sends as `callback_data`):
 * any string parses to a lowercase UUID that is exactly what follows `ss:`, or is refused with
 * `undefined`; nothing throws; and every valid id encodes to data within Telegram's 64 bytes that
 * parses back to it.
 */

const LOWER_UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuid = fc.uuid().map((u) => u.toLowerCase());

/** Near misses of `ss:<uuid>`: case, padding, separators, unicode look-alikes, extra text. */
const nearMiss: fc.Arbitrary<string> = fc
  .tuple(uuid, fc.integer({ min: 0, max: 11 }), fc.constantFrom(...UNICODE_TRICKS))
  .map(([id, kind, trick]) => {
    switch (kind) {
      case 0:
        return `ss:${id.toUpperCase()}`;
      case 1:
        return `SS:${id}`;
      case 2:
        return ` ss:${id}`;
      case 3:
        return `ss:${id} `;
      case 4:
        return `ss:${id}\n`;
      case 5:
        return `ss:${id.replaceAll('-', '')}`;
      case 6:
        return `ss:{${id}}`;
      case 7:
        return `ss:${id}${trick}`;
      case 8:
        return `ss:${trick}${id}`;
      case 9:
        return `ss:${id.slice(0, 8)}${trick}${id.slice(9)}`;
      case 10:
        return `ss:${id}:${id}`;
      default:
        return `ss:${id.replace(/[0-9]/, '０')}`; // a fullwidth digit
    }
  });

const data: fc.Arbitrary<{ cls: string; text: string }> = fc.oneof(
  { arbitrary: uuid.map((id) => ({ cls: 'valid', text: sessionButtonData(id) })), weight: 3 },
  { arbitrary: nearMiss.map((text) => ({ cls: 'near-miss', text })), weight: 4 },
  { arbitrary: trickyText(80).map((t) => ({ cls: 'ss:text', text: `ss:${t}` })), weight: 2 },
  {
    arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((text) => ({ cls: 'binary', text })),
    weight: 2,
  },
  {
    arbitrary: fc
      .constantFrom(
        '',
        'ss:',
        'ss',
        's',
        'ss:__proto__',
        'ss:constructor',
        'ss:..',
        'ap:1',
        `ss:${'a'.repeat(5000)}`,
      )
      .map((text) => ({ cls: 'constant', text })),
    weight: 1,
  },
);

describe('hostile input: Telegram session button data', () => {
  it(`${RUNS} strings → a lowercase UUID that is exactly what follows "ss:", or refused; never throws`, () => {
    const figures = createFigures('Telegram session button data (parseSessionData)');
    try {
      fc.assert(
        fc.property(data, ({ cls, text }) => {
          const started = performance.now();
          let parsed: string | undefined;
          try {
            parsed = parseSessionData(text);
          } catch (err) {
            figures.fail(`threw on ${JSON.stringify(text.slice(0, 80))}: ${String(err)}`);
            throw err;
          }
          const ok =
            parsed === undefined
              ? !(text.startsWith('ss:') && LOWER_UUID_RE.test(text.slice(3)))
              : LOWER_UUID_RE.test(parsed) && text === `ss:${parsed}` && isSessionData(text);
          if (!ok) {
            const reason = `${JSON.stringify(text.slice(0, 80))} → ${JSON.stringify(parsed)}`;
            figures.fail(reason);
            throw new Error(reason);
          }
          figures.record(parsed === undefined ? 'refused' : 'session id', since(started), [cls]);
        }),
        { numRuns: RUNS, seed: SEED + 21, endOnFailure: true },
      );
    } finally {
      figures.print();
    }
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['session id']).toBeGreaterThan(0);
  });

  it(`${RUNS} session ids → button data within Telegram's ${CALLBACK_DATA_LIMIT} bytes that parses back`, () => {
    fc.assert(
      fc.property(uuid, (id) => {
        const encoded = sessionButtonData(id);
        expect(Buffer.byteLength(encoded, 'utf8')).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
        expect(parseSessionData(encoded)).toBe(id);
      }),
      { numRuns: RUNS, seed: SEED + 22 },
    );
  });
});
