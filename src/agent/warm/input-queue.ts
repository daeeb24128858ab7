import type { SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';

/**
 * The prompt stream of a long-lived `query()`: user messages pushed one turn at a time. The SDK
 * reads it for as long as the process lives; `end()` lets the process finish its last turn and exit.
 */
export interface InputQueue extends AsyncIterable<SDKUserMessage> {
  push(message: SDKUserMessage): void;
  end(): void;
}

export function createInputQueue(): InputQueue {
  const pending: SDKUserMessage[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(message) {
      if (ended) throw new Error('input queue ended: the process takes no more messages');
      pending.push(message);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = pending.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
