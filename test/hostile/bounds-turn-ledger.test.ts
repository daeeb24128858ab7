import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_STORED_RESPONSE_CHARS,
  MERGED_MARKER,
  STORED_TURN_RESULT,
  decodeMergedMarker,
  decodeTurnResult,
  encodeMergedMarker,
  encodeTurnResult,
} from '../../src/agent/turn-ledger.js';
import { TURN_ERROR_CODES, type TurnResult } from '../../src/agent/types.js';
import { conversationKey, turnRecordId } from '../../src/core/keys.js';
import { fileJson, listedFileJson } from '../../src/server/files-json.js';
import { RUNS, SEED, createFigures, since } from './figures.js';
import { trickyText } from './arbitraries.js';
import { boundIssues, schemaCases } from './schema-cases.js';

/**
 * The turn ledger's stored results and merged markers (issue 18): decoding never throws on any
 * stored text (a record that does not decode is `null`, replayed as `turn_interrupted`); what
 * decodes is usable by the replay path (the API's file JSON with dates, the merged marker's
 * request id as a ledger key); and whatever `encodeTurnResult` stores — at its bounds — decodes.
 */

const KEY = { tenant: 'acme', chat: '5', thread: 'main' };

/** What the replay path does with a decoded result and marker; throws when it cannot. */
function replay(result: TurnResult): void {
  JSON.stringify({ ...result, files: result.files?.map(fileJson) });
  for (const f of result.files ?? []) listedFileJson(f);
  JSON.stringify(result);
}

const storedTexts = fc.oneof(
  fc.string(),
  trickyText(200),
  fc.json(),
  schemaCases(STORED_TURN_RESULT, { typicalLength: 30, longest: 70_000 }).map((c) => JSON.stringify(c.value)),
  schemaCases(MERGED_MARKER).map((c) => JSON.stringify(c.value)),
  fc.constantFrom(
    '',
    'null',
    '{}',
    '[]',
    '{"merged_into":"","attempt":1}',
    '{"merged_into":"../x","attempt":1}',
    '{"merged_into":"r1","attempt":1e300}',
    '{"__proto__":{"response":"x"}}',
    '{"response":"x","session_id":"s","cost_usd":1e309}',
  ),
);

describe('bounds: turn ledger stored results', () => {
  it('audit: the stored result and the merged marker are bounded', () => {
    const custom = 'a z.custom check (isFileId / isConversationKey): bounded by the id grammars';
    expect(boundIssues(STORED_TURN_RESULT, { 'files.[].id': custom, 'files.[].key': custom })).toEqual([]);
    expect(boundIssues(MERGED_MARKER)).toEqual([]);
  });

  it(`${RUNS} stored texts: decode never throws; what decodes is usable by the replay path and stores again`, () => {
    const figures = createFigures('turn ledger record → decodeTurnResult / decodeMergedMarker → replay');
    fc.assert(
      fc.property(storedTexts, (text) => {
        const start = performance.now();
        const result = decodeTurnResult(text);
        const marker = decodeMergedMarker(text);
        const labels: string[] = [];
        if (result) {
          replay(result);
          expect(decodeTurnResult(encodeTurnResult(result))).not.toBeNull();
          labels.push('result');
        }
        if (marker) {
          // The replay path looks the marker's turn up by its request id.
          turnRecordId(conversationKey(KEY), marker.merged_into);
          new Date(marker.attempt).toISOString();
          expect(decodeMergedMarker(encodeMergedMarker(marker))).toEqual(marker);
          labels.push('marker');
        }
        figures.record(labels.length > 0 ? `decoded ${labels.join('+')}` : 'null', since(start));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    figures.print();
    expect(figures.failures).toEqual([]);
  });

  it(`${RUNS} results at their bounds: what the runner stores always decodes (never replayed as lost)`, () => {
    const figures = createFigures('TurnResult → encodeTurnResult → decodeTurnResult');
    const big = (max: number) =>
      fc.oneof(
        fc.string({ maxLength: 50 }),
        fc.nat(max).map((n) => 'x'.repeat(n)),
      );
    fc.assert(
      fc.property(
        fc.record({
          response: big(MAX_STORED_RESPONSE_CHARS + 1000),
          session_id: big(400),
          cost_usd: fc.double({ min: 0, max: 1e6, noNaN: true }),
          num_turns: fc.nat(),
          is_error: fc.boolean(),
          error_message: fc.option(big(20_000)),
          error_code: fc.option(fc.constantFrom(...TURN_ERROR_CODES)),
          usage: fc.record({
            input_tokens: fc.nat(),
            output_tokens: fc.nat(),
            cache_creation_input_tokens: fc.nat(),
            cache_read_input_tokens: fc.nat(),
          }),
          model: fc.option(big(400)),
          duration_ms: fc.integer({ min: -1000, max: 2 ** 40 }),
        }),
        (result) => {
          const start = performance.now();
          const decoded = decodeTurnResult(encodeTurnResult(result as TurnResult));
          expect(decoded).not.toBeNull();
          replay(decoded as TurnResult);
          const cut = result.response.length > MAX_STORED_RESPONSE_CHARS;
          figures.record(cut ? 'stored cut, decoded' : 'stored, decoded', since(start));
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    figures.print();
  });
});
