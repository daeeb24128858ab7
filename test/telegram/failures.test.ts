import { afterEach, describe, expect, it } from 'vitest';
import { SessionHistoryError, StorageError } from '../../src/core/errors.js';
import { createMemoryQueue } from '../../src/queue/memory.js';
import type { QueuedMessage } from '../../src/queue/types.js';
import type { QueueFactory } from '../../src/telegram/service.js';
import { createFakeRunner, type FakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { privateText } from './updates.js';

let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

function fastRetries(dead: QueuedMessage[]): QueueFactory {
  return (handler) => {
    const queue = createMemoryQueue({
      handler,
      retryDelayMs: () => 5,
      onDeadLetter: (m) => void dead.push(m),
    });
    return { queue, consumer: queue };
  };
}

async function start(runner: FakeRunner, dead: QueuedMessage[] = []): Promise<Pipeline> {
  p = await startPipeline({ runner, queueFactory: fastRetries(dead) });
  return p;
}

describe('worker failures', () => {
  it('retries transient failures silently and answers once it works', async () => {
    const runner = createFakeRunner();
    let calls = 0;
    runner.respond = () => {
      calls++;
      if (calls <= 2) throw new StorageError('[sessions:test] flaky');
      return { response: 'finally' };
    };
    const pipe = await start(runner);
    await pipe.post(privateText('try'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    expect(pipe.api.sentTexts()).toEqual(['finally']);
    expect(calls).toBe(3);
  });

  it('tells the user after the last receive and dead-letters the message', async () => {
    const runner = createFakeRunner();
    runner.respond = () => {
      throw new StorageError('[sessions:test] down');
    };
    const dead: QueuedMessage[] = [];
    const pipe = await start(runner, dead);
    await pipe.post(privateText('doomed'));
    await pipe.api.waitFor(() => dead.length === 1);
    expect(runner.turns).toHaveLength(5);
    expect(pipe.api.sentTexts()).toHaveLength(1);
    expect(pipe.api.sentTexts()[0]).toMatch(/couldn't answer.*storage_error/);
  });

  it('does not retry a permanent failure, and explains it', async () => {
    const runner = createFakeRunner();
    runner.respond = () => {
      throw new SessionHistoryError('[agent] transcript missing');
    };
    const dead: QueuedMessage[] = [];
    const pipe = await start(runner, dead);
    await pipe.post(privateText('where is my history'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    await pipe.service.idle();
    expect(runner.turns).toHaveLength(1);
    expect(dead).toEqual([]);
    expect(pipe.api.sentTexts()[0]).toMatch(/\/new/);
  });

  it('honours 429 retry_after on outgoing messages', async () => {
    const runner = createFakeRunner();
    runner.respond = () => ({ response: 'slow down' });
    const pipe = await start(runner);
    pipe.api.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
    const t0 = Date.now();
    await pipe.post(privateText('hi'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(pipe.api.sentTexts()).toEqual(['slow down']);
  });
});
