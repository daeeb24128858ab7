import { afterEach, describe, expect, it } from 'vitest';
import { createFakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { privateText } from './updates.js';

let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

describe('long polling (local mode)', () => {
  it('receives updates through getUpdates with the same rules and replies', async () => {
    const runner = createFakeRunner();
    p = await startPipeline({ runner });
    const pipe = p;
    pipe.service.startPolling();
    const update = privateText('polled');
    pipe.api.pushUpdate(update);
    pipe.api.pushUpdate(update); // a duplicate is dropped here too
    pipe.api.pushUpdate(privateText('/start'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 2);
    expect(runner.turns.map((t) => t.text)).toEqual(['polled']);
    const polls = pipe.api.callsTo('getUpdates');
    expect(polls[0]?.params.allowed_updates).toEqual([
      'message',
      'edited_message',
      'my_chat_member',
      'callback_query',
    ]);
    expect(pipe.api.callsTo('deleteWebhook')).toHaveLength(1);
  });
});
