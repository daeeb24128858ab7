import { describe, expect, it } from 'vitest';
import { messageContextOf } from './message-context.js';

describe('messageContextOf', () => {
  it("maps a queued sender and quote to the runner's terms (ids as text, the bot as the assistant)", () => {
    expect(
      messageContextOf({
        sender: { name: 'Alice Smith', id: 123456, username: 'alice' },
        quote: { text: 'disk at 91%', from: { name: 'Status page', id: -1001112223334 }, fromBot: false },
      }),
    ).toEqual({
      sender: { name: 'Alice Smith', id: '123456', username: 'alice' },
      quote: {
        text: 'disk at 91%',
        from: { name: 'Status page', id: '-1001112223334' },
        fromAssistant: false,
      },
    });
    expect(messageContextOf({ quote: { text: 'done', fromBot: true } })).toEqual({
      quote: { text: 'done', fromAssistant: true },
    });
  });

  it('is empty for a message with neither (the turn request is what it was)', () => {
    expect(messageContextOf({})).toEqual({});
  });
});
