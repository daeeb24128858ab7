import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { conversationKeyString } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { LeaseManager } from '../../sessions/types.js';
import type { ApiEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { readJson, validate } from '../validation.js';
import { conversationKeyOf } from './conversation-key.js';

/** What the stop route needs of storage: asking the turn holding a conversation's lease to stop. */
export type StopRequester = Pick<LeaseManager, 'requestStop'>;

const TURN = z.number().int('must be a positive integer').positive('must be a positive integer');
export const STOP_REQUEST = z.object({ turn: TURN.optional() });

/** `?turn=` as a positive integer (digits only: `1e3`, `0x10`, `+1` are refused). */
function queryTurn(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const turn = /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(turn))
    throw new ApiError(400, 'invalid_request', 'invalid query parameter: turn', [
      { path: 'turn', message: 'must be a positive integer' },
    ]);
  return turn;
}

/** The body is optional: empty → no fields; otherwise a JSON object validated like every body. */
async function bodyTurn(c: Context<ApiEnv>): Promise<number | undefined> {
  if ((await c.req.text()).trim() === '') return undefined; // Hono caches the body for readJson
  return validate(STOP_REQUEST, await readJson(c)).turn;
}

/**
 * `POST /v1/conversations/:tenant/:chat/:thread/stop`: asks the turn running in the conversation to
 * stop (the runner holding its lease notices within about a second and ends the turn with
 * `error_code: turn_stopped`). Optional `turn` (JSON body or query; a positive integer, the
 * `turn_started` id) stops only that turn. Answers 200 `{ stopping: true, turn }` or
 * `{ stopping: false, message }` when nothing (or not that turn) is running. Never waits.
 */
export function stopRoutes(deps: { stops: StopRequester; logger: Logger }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post('/:tenant/:chat/:thread/stop', async (c) => {
    const key = conversationKeyOf(c);
    const fromQuery = queryTurn(c.req.query('turn'));
    const fromBody = await bodyTurn(c);
    if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody)
      throw new ApiError(400, 'invalid_request', 'turn differs between the query and the body', [
        { path: 'turn', message: `query says ${fromQuery}, body says ${fromBody}` },
      ]);
    const turn = fromBody ?? fromQuery;
    const outcome = await deps.stops.requestStop(key, turn === undefined ? {} : { turn });
    deps.logger.info('[server] stop requested', {
      conversation: conversationKeyString(key),
      ...(turn !== undefined ? { turn } : {}),
      stopping: outcome.stopping,
    });
    if (outcome.stopping) return c.json({ stopping: true, turn: outcome.turn });
    const message =
      turn === undefined
        ? 'no turn is running in this conversation; nothing to stop'
        : `turn ${turn} is not running in this conversation; nothing to stop`;
    return c.json({ stopping: false, message });
  });
  return app;
}
