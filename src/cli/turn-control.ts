import { errorMessage } from '../core/errors.js';
import type { ConversationKey } from '../core/keys.js';
import type { LeaseManager } from '../sessions/types.js';

/** Ctrl-C as events: subscribe a handler, get the unsubscribe back (readline's `SIGINT` in a terminal; tests inject one). */
export type InterruptSource = (onInterrupt: () => void) => () => void;

/** What a running turn is given: the abort signal (second Ctrl-C) and where to report its `turn_started` id. */
export interface TurnHandle {
  signal: AbortSignal;
  started(turn: number): void;
}

export interface TurnControl {
  /** Runs one turn; Ctrl-C meanwhile asks it to stop, a second Ctrl-C aborts it and quits. */
  run<T>(turn: (handle: TurnHandle) => Promise<T>): Promise<T>;
  /** Stops listening to Ctrl-C. */
  close(): void;
}

/**
 * Ctrl-C in the terminal chat. While a turn runs, the first asks it to stop through the storage
 * (`requestStop`, as `/stop` and the API do: the runner holding the lease ends it with
 * `turn_stopped` within about a second) and says so; the second aborts the turn and quits. When no
 * turn runs, Ctrl-C quits (`quit`), as it always did.
 */
export function createTurnControl(deps: {
  interrupts: InterruptSource;
  stops: Pick<LeaseManager, 'requestStop'>;
  key: ConversationKey;
  say(line: string): void;
  quit(): void;
}): TurnControl {
  let current: { abort: AbortController; turn?: number; stopping: boolean } | null = null;

  const requestStop = (turn: number | undefined): void => {
    deps.stops
      .requestStop(deps.key, turn === undefined ? {} : { turn })
      .then((outcome) => {
        // Before `turn_started` the runner may not hold the lease yet: `started` asks again.
        if (!outcome.stopping && turn !== undefined) deps.say('the turn had already ended');
      })
      .catch((err: unknown) => deps.say(`could not ask the turn to stop: ${errorMessage(err)}`));
  };

  const unsubscribe = deps.interrupts(() => {
    if (current === null) return deps.quit();
    if (current.stopping) {
      deps.say('quitting');
      current.abort.abort();
      return deps.quit();
    }
    current.stopping = true;
    deps.say('stopping the turn… (Ctrl-C again to quit)');
    requestStop(current.turn);
  });

  return {
    async run(turn) {
      const state: { abort: AbortController; turn?: number; stopping: boolean } = {
        abort: new AbortController(),
        stopping: false,
      };
      current = state;
      try {
        return await turn({
          signal: state.abort.signal,
          started(id) {
            state.turn = id;
            if (state.stopping) requestStop(id);
          },
        });
      } finally {
        current = null;
      }
    },
    close: unsubscribe,
  };
}
