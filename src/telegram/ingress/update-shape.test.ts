import { describe, expect, it } from 'vitest';
import { parseUpdate } from './update-shape.js';

const GROUP = { id: -1001234567890, type: 'supergroup', title: 'Ops' };
const BOB = { id: 42, is_bot: false, first_name: 'Bob' };

const withOrigin = (origin: unknown) => ({
  update_id: 1,
  message: {
    message_id: 7,
    date: 1_760_000_000,
    chat: GROUP,
    from: BOB,
    text: 'see this',
    external_reply: { origin, chat: GROUP, message_id: 3 },
  },
});

describe('parseUpdate: external reply origins', () => {
  it('takes the four origin types the ingress reads', () => {
    for (const origin of [
      { type: 'user', date: 1, sender_user: BOB },
      { type: 'hidden_user', date: 1, sender_user_name: 'Anon' },
      { type: 'chat', date: 1, sender_chat: GROUP },
      { type: 'channel', date: 1, chat: GROUP, message_id: 9 },
    ])
      expect(parseUpdate(withOrigin(origin)).ok).toBe(true);
  });

  it('lets an origin type a later Bot API adds through, so the message is not refused', () => {
    expect(parseUpdate(withOrigin({ type: 'story_origin', date: 1, anything: { x: 1 } })).ok).toBe(true);
  });

  it('refuses a known origin type with the wrong fields, naming the origin', () => {
    const result = parseUpdate(withOrigin({ type: 'user', date: 1 }));
    expect(result).toEqual({ ok: false, error: expect.stringContaining('message.external_reply.origin') });
    expect(parseUpdate(withOrigin({ type: 'x'.repeat(33), date: 1 })).ok).toBe(false);
  });
});
