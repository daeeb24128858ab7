import { describe, expect, it } from 'vitest';
import { conversationKey } from '../core/keys.js';
import { newFileId } from '../files/ids.js';
import type { SentFile } from '../files/types.js';
import { decodeTurnResult, encodeTurnResult } from './turn-ledger.js';
import type { TurnResult } from './types.js';

const key = conversationKey({ tenant: 'default', chat: 'c1' });
const result: TurnResult = {
  response: 'here it is',
  session_id: 's1',
  cost_usd: 0.01,
  num_turns: 2,
  is_error: false,
  error_message: null,
  error_code: null,
  usage: { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  model: 'm',
  duration_ms: 5,
};
const sent = (caption?: string): SentFile => ({
  id: newFileId(),
  key,
  direction: 'out',
  name: 'report.csv',
  size: 9,
  mime: 'text/csv',
  kind: 'text',
  createdAt: 1,
  ...(caption === undefined ? {} : { caption }),
});

describe('turn ledger: the files a turn sent', () => {
  it('are kept with the result, captions included, so a repeat delivers them too', () => {
    const files = [sent('CPU report'), sent()];
    const decoded = decodeTurnResult(
      encodeTurnResult({ ...result, files, replayed: 'done', delivered: true }),
    );
    expect(decoded).toEqual({ ...result, files });
    expect(decoded?.files?.[1]).not.toHaveProperty('caption');
  });

  it('a result without files reads back without them; a stored file that is not one is refused', () => {
    expect(decodeTurnResult(encodeTurnResult(result))).toEqual(result);
    const bad = JSON.parse(encodeTurnResult({ ...result, files: [sent()] })) as {
      files: Array<{ id: string }>;
    };
    (bad.files[0] as { id: string }).id = '../../x';
    expect(decodeTurnResult(JSON.stringify(bad))).toBeNull();
  });
});
