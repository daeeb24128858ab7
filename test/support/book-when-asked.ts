import { demoModel, type ModelServer } from '../../src/model/index.js';

/**
 * Runs `book` (e.g. other workers booking the bot's send budget ahead) when the model is first
 * asked, before it answers, then answers as the demo model: the booking is then measured from the
 * end of the turn rather than from before it, whatever the machine's load makes the turn take.
 * Later requests are answered at once. Returns how many times `book` ran (0 or 1).
 */
export function bookWhenModelAsked(model: ModelServer, book: () => Promise<void>): () => number {
  let booked: Promise<void> | undefined;
  let runs = 0;
  model.setHandler(async (request) => {
    booked ??= (async () => {
      runs++;
      await book();
    })();
    await booked;
    return demoModel(request);
  });
  return () => runs;
}
