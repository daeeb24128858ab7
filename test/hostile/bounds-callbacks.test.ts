import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPROVAL_ID_RE } from '../../src/approvals/ids.js';
import { decodeQueuedMessage } from '../../src/queue/message.js';
import { approvalButtonData, isApprovalData, parseApprovalData } from '../../src/telegram/approvals/data.js';
import { RUNS, SEED, createFigures, since } from './figures.js';
import { trickyText } from './arbitraries.js';

/**
 * Callback data of the approval buttons (issue 18; the session buttons have their own suite,
 * `session-data.test.ts`): any data Telegram can deliver (1–64 bytes, hostile characters, near
 * misses of `ap:<id>:o|c|d`) parses without throwing; what parses round-trips to the same data
 * and becomes an approval work item that decodes.
 */

const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

const nearMiss = fc
  .tuple(
    fc.constantFrom('ap:', 'ap', 'AP:', 'ap::', ''),
    fc.oneof(fc.stringMatching(APPROVAL_ID_RE), fc.string({ maxLength: 30 }), trickyText(30)),
    fc.constantFrom(':o', ':c', ':d', ':x', ':', ':oo', '', ':o\n'),
  )
  .map(([a, b, c]) => `${a}${b}${c}`);

const wellFormed = fc
  .tuple(fc.stringMatching(APPROVAL_ID_RE), fc.constantFrom('o', 'c', 'd'))
  .map(([id, code]) => `ap:${id}:${code}`);

describe('bounds: approval button data', () => {
  it(`${RUNS} callback data: parse never throws; what parses is usable`, () => {
    const figures = createFigures('approval button data → parse → approval work item');
    let parsed = 0;
    fc.assert(
      fc.property(
        fc.oneof(wellFormed, nearMiss, trickyText(64), fc.string({ minLength: 1, maxLength: 64 })),
        (data) => {
          const start = performance.now();
          const result = parseApprovalData(data);
          const tag = utf8Bytes(data) > 64 ? 'over 64 bytes' : 'within 64 bytes';
          if (!result) {
            figures.record('refused', since(start), [tag]);
            return;
          }
          parsed++;
          figures.record('parsed', since(start), [tag]);
          expect(isApprovalData(data)).toBe(true);
          expect(approvalButtonData(result.id, result.decision)).toBe(data);
          const item = decodeQueuedMessage(
            JSON.stringify({
              kind: 'approval',
              key: { tenant: 'acme', chat: '5', thread: 'main' },
              source: { type: 'telegram', updateId: 1, userId: 7, replyTo: { chatId: 5 } },
              approvalId: result.id,
              decision: result.decision,
            }),
          );
          expect(item.kind).toBe('approval');
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    figures.print({ parsed });
    expect(parsed).toBeGreaterThan(0);
  });
});
