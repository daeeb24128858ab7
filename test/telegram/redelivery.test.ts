import { afterEach, describe, expect, it } from 'vitest';
import type { TurnResult } from '../../src/agent/types.js';
import { createFakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { privateText } from './updates.js';

/**
 * The worker's side of exactly-once turns: every turn carries `tg:<update_id>`; a result the runner
 * reports as already delivered is not sent again; a result the worker sent itself is recorded with
 * `markDelivered`; a runner that delivers under its lease (`deliver`) is not sent twice.
 */
let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('worker: exactly-once turns', () => {
  it('passes tg:<update_id> as the request id and records a reply it sent', async () => {
    const runner = createFakeRunner();
    const marked: string[] = [];
    runner.markDelivered = async (_key, requestId) => void marked.push(requestId);
    p = await startPipeline({ runner });
    const update = privateText('hello');
    await p.post(update);
    await p.api.waitFor(() => p!.api.sentTexts().length === 1);
    await settle();
    expect(runner.turns[0]?.requestId).toBe(`tg:${update.update_id}`);
    expect(marked).toEqual([`tg:${update.update_id}`]);
  });

  it('sends nothing when the runner says the result was already delivered', async () => {
    const runner = createFakeRunner();
    runner.respond = () => ({ response: 'old reply', replayed: 'done', delivered: true });
    const marked: string[] = [];
    runner.markDelivered = async (_key, requestId) => void marked.push(requestId);
    p = await startPipeline({ runner });
    await p.post(privateText('again'));
    await p.api.waitFor(() => runner.turns.length === 1);
    await settle();
    expect(p.api.sentTexts()).toEqual([]);
    expect(marked).toEqual([]);
  });

  it('sends once when the runner delivered under its lease', async () => {
    const runner = createFakeRunner();
    const marked: string[] = [];
    runner.markDelivered = async (_key, requestId) => void marked.push(requestId);
    const inner = runner.runTurn.bind(runner);
    runner.runTurn = async (request) => {
      const result: TurnResult = await inner(request);
      const delivered = (await request.deliver?.(result)) ?? false;
      return { ...result, delivered };
    };
    p = await startPipeline({ runner });
    await p.post(privateText('under the lease'));
    await p.api.waitFor(() => p!.api.sentTexts().length === 1);
    await settle();
    expect(p.api.sentTexts()).toHaveLength(1);
    expect(p.api.sentTexts()[0]).toContain('under the lease');
    expect(marked).toEqual([]); // the runner records it itself
  });

  it("tells the user plainly when a stored turn's reply was lost (turn_interrupted)", async () => {
    const runner = createFakeRunner();
    runner.respond = () => ({
      response: '',
      is_error: true,
      error_code: 'turn_interrupted',
      error_message: 'lost',
      replayed: 'recovered',
      delivered: false,
    });
    p = await startPipeline({ runner });
    await p.post(privateText('where is my answer'));
    await p.api.waitFor(() => p!.api.sentTexts().length === 1);
    expect(p.api.sentTexts()[0]).toMatch(/processed, but its reply was lost/);
  });
});
