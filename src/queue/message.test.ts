import { describe, expect, it } from 'vitest';
import { conversationKey } from '../core/keys.js';
import { QueueMessageFormatError } from './errors.js';
import {
  decodeQueuedMessage,
  encodeQueuedMessage,
  messageDeduplicationId,
  MAX_AUTHOR_NAME,
  MAX_QUOTE_TEXT,
  MAX_USERNAME,
  MAX_WIRE_ATTACHMENTS,
  messageGroupId,
  QUEUED_KINDS,
} from './message.js';
import type { ApprovalId } from '../approvals/types.js';
import type { QueuedMessage, TelegramAttachment, TelegramSource } from './types.js';

const key = conversationKey({ tenant: 'acme', chat: '-1001234', thread: '42' });
const source: TelegramSource = {
  type: 'telegram',
  updateId: 901,
  userId: 7,
  replyTo: { chatId: -1001234, threadId: 42, replyToMessageId: 55 },
};

const items: QueuedMessage[] = [
  { kind: 'agent', key, source, text: 'hello', messageTime: 1_700_000_000_000 },
  { kind: 'reset', key, source },
  { kind: 'debug', key, source: { type: 'telegram', updateId: 3, replyTo: { chatId: 5 } } },
  { kind: 'cost', key, source },
  {
    kind: 'approval',
    key,
    source,
    approvalId: 'Ab3_-Ab3_-Ab3_-Ab3_-Ab' as ApprovalId,
    decision: 'allow_conversation',
    byName: 'Ann',
  },
  { kind: 'sessions', key, source },
  { kind: 'sessions', key, source, limit: 20 },
  { kind: 'switch', key, source, sessionId: '0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d' },
  { kind: 'setting', key, source, field: 'model' },
  { kind: 'setting', key, source, field: 'model', value: 'opus' },
  { kind: 'setting', key, source, field: 'agent', value: null },
];

const photo: TelegramAttachment = {
  kind: 'photo',
  fileId: 'AgACAgIAAxkBAAI'.padEnd(256, 'x'),
  fileUniqueId: 'AQADxyz'.padEnd(64, 'y'),
  size: 81_234,
  messageId: 55,
};
const document: TelegramAttachment = {
  kind: 'document',
  fileId: 'BQACAgIAAxkBAAI',
  fileUniqueId: 'AgADzz',
  size: 0,
  name: 'ü'.repeat(1024),
  mime: 'text/plain',
  messageId: 56,
};
const withFiles: QueuedMessage = {
  kind: 'agent',
  key,
  source,
  text: '',
  messageTime: 1_700_000_000_000,
  attachments: [photo, document],
  mediaGroupId: 'g'.repeat(64),
};
const filesWire = () => JSON.parse(encodeQueuedMessage(withFiles)) as Record<string, unknown>;

const agentWire = () => JSON.parse(encodeQueuedMessage(items[0] as QueuedMessage)) as Record<string, unknown>;

function rejects(body: string, pattern: RegExp): void {
  let thrown: unknown;
  try {
    decodeQueuedMessage(body);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(QueueMessageFormatError);
  expect((thrown as Error).message).toMatch(pattern);
}

describe('work item codec', () => {
  it('has a member for every kind the worker handles today', () => {
    expect([...QUEUED_KINDS].sort()).toEqual([
      'agent',
      'alert',
      'approval',
      'cost',
      'debug',
      'reset',
      'scheduled',
      'sessions',
      'setting',
      'switch',
    ]);
  });

  it('refuses conversation-management items out of bounds or with forged fields', () => {
    const wire = (extra: Record<string, unknown>) => JSON.stringify({ key, source, ...extra });
    rejects(wire({ kind: 'sessions', limit: 0 }), /invalid sessions work item/);
    rejects(wire({ kind: 'sessions', limit: 21 }), /invalid sessions work item/);
    rejects(wire({ kind: 'sessions', limit: 2.5 }), /invalid sessions work item/);
    rejects(wire({ kind: 'switch' }), /invalid switch work item/);
    rejects(wire({ kind: 'switch', sessionId: '0B9A1C2D-3E4F-4A5B-8C6D-7E8F9A0B1C2D' }), /invalid switch/);
    rejects(wire({ kind: 'switch', sessionId: '../../etc/passwd' }), /invalid switch work item/);
    rejects(
      wire({ kind: 'switch', sessionId: '0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d', chat: -1 }),
      /invalid switch work item/,
    );
    rejects(wire({ kind: 'setting', field: 'budget', value: 'x' }), /invalid setting work item/);
    rejects(wire({ kind: 'setting', field: 'model', value: '' }), /invalid setting work item/);
    rejects(wire({ kind: 'setting', field: 'model', value: 'a b' }), /invalid setting work item/);
    rejects(wire({ kind: 'setting', field: 'model', value: 'x'.repeat(201) }), /invalid setting work item/);
    rejects(wire({ kind: 'setting', field: 'agent', value: 7 }), /invalid setting work item/);
  });

  it.each(items.map((item) => [item.kind, item] as const))('round-trips a %s item', (_kind, item) => {
    expect(decodeQueuedMessage(encodeQueuedMessage(item))).toEqual(item);
  });

  it('keeps the documented wire format', () => {
    expect(agentWire()).toEqual({
      kind: 'agent',
      key: { tenant: 'acme', chat: '-1001234', thread: '42' },
      source: {
        type: 'telegram',
        updateId: 901,
        userId: 7,
        replyTo: { chatId: -1001234, threadId: 42, replyToMessageId: 55 },
      },
      text: 'hello',
      messageTime: 1_700_000_000_000,
    });
  });

  it('round-trips attachments at their bounds and an album id, and keeps their documented shape', () => {
    expect(decodeQueuedMessage(encodeQueuedMessage(withFiles))).toEqual(withFiles);
    const full = Array.from({ length: MAX_WIRE_ATTACHMENTS }, (_, i) => ({ ...photo, messageId: i + 1 }));
    const ten: QueuedMessage = { ...withFiles, attachments: full };
    expect(decodeQueuedMessage(encodeQueuedMessage(ten))).toEqual(ten);
    expect(filesWire().attachments).toEqual([
      { kind: 'photo', fileId: photo.fileId, fileUniqueId: photo.fileUniqueId, size: 81_234, messageId: 55 },
      {
        kind: 'document',
        fileId: 'BQACAgIAAxkBAAI',
        fileUniqueId: 'AgADzz',
        size: 0,
        name: document.name,
        mime: 'text/plain',
        messageId: 56,
      },
    ]);
  });

  it('refuses attachments out of bounds, of another kind, with unknown fields, and long album ids', () => {
    const bad = (change: Partial<TelegramAttachment> | Record<string, unknown>) =>
      JSON.stringify({ ...filesWire(), attachments: [{ ...photo, ...change }] });
    rejects(bad({ fileId: 'x'.repeat(257) }), /invalid agent work item/);
    rejects(bad({ fileId: '' }), /invalid agent work item/);
    rejects(bad({ fileUniqueId: 'x'.repeat(65) }), /invalid agent work item/);
    rejects(bad({ name: 'x'.repeat(1025) }), /invalid agent work item/);
    rejects(bad({ mime: 'x'.repeat(257) }), /invalid agent work item/);
    rejects(bad({ size: -1 }), /invalid agent work item/);
    rejects(bad({ size: 1.5 }), /invalid agent work item/);
    rejects(bad({ size: 2 ** 53 }), /invalid agent work item/);
    rejects(bad({ messageId: 0 }), /invalid agent work item/);
    rejects(bad({ kind: 'voice' }), /invalid agent work item/);
    rejects(bad({ url: 'http://169.254.169.254/' }), /invalid agent work item/);
    rejects(bad({ path: '../../etc/passwd' }), /invalid agent work item/);
    const eleven = Array.from({ length: MAX_WIRE_ATTACHMENTS + 1 }, () => photo);
    rejects(JSON.stringify({ ...filesWire(), attachments: eleven }), /invalid agent work item/);
    rejects(JSON.stringify({ ...filesWire(), attachments: 'photo' }), /invalid agent work item/);
    rejects(JSON.stringify({ ...filesWire(), mediaGroupId: 'g'.repeat(65) }), /invalid agent work item/);
    rejects(JSON.stringify({ ...filesWire(), mediaGroupId: 12 }), /invalid agent work item/);
    const reset = { kind: 'reset', key: agentWire().key, source, attachments: [photo] };
    rejects(JSON.stringify(reset), /invalid reset work item/);
    // Merged members are consumer side only: never accepted from the wire.
    rejects(JSON.stringify({ ...filesWire(), merged: [] }), /invalid agent work item/);
  });

  it('round-trips a sender and a quote at their bounds, in the documented shape', () => {
    const spoken: QueuedMessage = {
      ...(items[0] as QueuedMessage & { kind: 'agent' }),
      sender: { name: 'n'.repeat(MAX_AUTHOR_NAME), id: 7, username: 'u'.repeat(MAX_USERNAME) },
      quote: { text: 'q'.repeat(MAX_QUOTE_TEXT), from: { name: 'Ops', id: -1001234 }, fromBot: false },
    };
    expect(decodeQueuedMessage(encodeQueuedMessage(spoken))).toEqual(spoken);
    const own: QueuedMessage = { ...spoken, quote: { text: '', fromBot: true } };
    expect(decodeQueuedMessage(encodeQueuedMessage(own))).toEqual(own);
    expect(JSON.parse(encodeQueuedMessage(own))).toMatchObject({
      sender: { name: spoken.sender?.name, id: 7, username: spoken.sender?.username },
      quote: { text: '', fromBot: true },
    });
  });

  it('refuses a sender or a quote over its bounds, of the wrong shape, or with unknown fields', () => {
    const sender = { name: 'Alice', id: 7 };
    const quote = { text: 'hi', fromBot: false };
    const bad = (change: Record<string, unknown>) =>
      JSON.stringify({ ...agentWire(), sender, quote, ...change });
    expect(() => decodeQueuedMessage(bad({}))).not.toThrow();
    rejects(bad({ sender: { ...sender, name: 'x'.repeat(MAX_AUTHOR_NAME + 1) } }), /invalid agent work item/);
    rejects(
      bad({ sender: { ...sender, username: 'x'.repeat(MAX_USERNAME + 1) } }),
      /invalid agent work item/,
    );
    rejects(bad({ sender: { ...sender, username: '' } }), /invalid agent work item/);
    rejects(bad({ sender: { ...sender, id: 1.5 } }), /invalid agent work item/);
    rejects(bad({ sender: { name: 'Alice' } }), /invalid agent work item/);
    rejects(bad({ sender: { ...sender, isAdmin: true } }), /invalid agent work item/);
    rejects(bad({ quote: { ...quote, text: 'x'.repeat(MAX_QUOTE_TEXT + 1) } }), /invalid agent work item/);
    rejects(bad({ quote: { text: 'hi' } }), /invalid agent work item/);
    rejects(
      bad({ quote: { ...quote, from: { ...sender, name: 'x'.repeat(MAX_AUTHOR_NAME + 1) } } }),
      /invalid agent work item/,
    );
    rejects(bad({ quote: { ...quote, html: '<b>' } }), /invalid agent work item/);
    const reset = { kind: 'reset', key: agentWire().key, source, sender };
    rejects(JSON.stringify(reset), /invalid reset work item/);
  });

  it('rejects an unknown kind, naming it', () => {
    rejects(JSON.stringify({ ...agentWire(), kind: 'approve' }), /unknown work item kind "approve"/);
    rejects(JSON.stringify({ ...agentWire(), kind: undefined }), /unknown work item kind undefined/);
    rejects(JSON.stringify({ ...agentWire(), kind: 7 }), /unknown work item kind 7/);
    rejects('[1,2]', /body must be a JSON object, got an array/);
    rejects('null', /body must be a JSON object, got null/);
  });

  it('rejects wrong types and missing fields', () => {
    rejects('{not json', /not JSON/);
    rejects(JSON.stringify({ ...agentWire(), text: 5 }), /invalid agent work item/);
    rejects(JSON.stringify({ ...agentWire(), messageTime: -1 }), /invalid agent work item/);
    rejects(JSON.stringify({ ...agentWire(), text: 'x'.repeat(64_001) }), /invalid agent work item/);
    const { text: _text, ...noText } = agentWire();
    rejects(JSON.stringify(noText), /invalid agent work item/);
    rejects(
      JSON.stringify({ ...agentWire(), source: { ...source, updateId: 1.5 } }),
      /invalid agent work item/,
    );
    rejects(
      JSON.stringify({ ...agentWire(), source: { ...source, type: 'sms' } }),
      /invalid agent work item/,
    );
    rejects(
      JSON.stringify({ ...agentWire(), key: { tenant: 'acme', chat: 'x:y', thread: 'main' } }),
      /key\.chat: must be a chat id/,
    );
  });

  it('rejects fields a kind does not have, and hostile keys', () => {
    rejects(JSON.stringify({ kind: 'reset', key: agentWire().key, source, text: 'x' }), /invalid reset/);
    rejects(
      '{"kind":"reset","key":{"tenant":"acme","chat":"1","thread":""},"source":' +
        JSON.stringify(source) +
        ',"__proto__":{"polluted":true}}',
      /invalid reset/,
    );
    rejects(JSON.stringify({ ...agentWire(), constructor: { prototype: {} } }), /invalid agent/);
    rejects(
      JSON.stringify(agentWire()).replace('"replyTo":{', '"replyTo":{"__proto__":{"chatId":2},'),
      /invalid agent/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('checks an approval item: the id, the decision, and no tool input', () => {
    const wire = JSON.parse(encodeQueuedMessage(items[4] as QueuedMessage)) as Record<string, unknown>;
    rejects(JSON.stringify({ ...wire, approvalId: 'short' }), /invalid approval work item/);
    rejects(JSON.stringify({ ...wire, approvalId: 'a/b+c'.padEnd(22, 'x') }), /invalid approval work item/);
    rejects(JSON.stringify({ ...wire, decision: 'allow' }), /invalid approval work item/);
    const { decision: _decision, ...noDecision } = wire;
    rejects(JSON.stringify(noDecision), /invalid approval work item/);
    rejects(JSON.stringify({ ...wire, input: '{"command":"rm -rf /"}' }), /invalid approval work item/);
    rejects(JSON.stringify({ ...wire, text: 'hi' }), /invalid approval work item/);
  });

  it("reads bodies of the format before `source` (still on the queue at deploy) into today's items", () => {
    // Exactly what the previous encoder wrote (JSON.stringify of the old flat QueuedMessage).
    const legacy = (kind: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        key: { tenant: 'acme', chat: '-1001234', thread: '42' },
        updateId: 901,
        kind,
        text: kind === 'agent' ? 'hello' : '',
        messageTime: 1_700_000_000_000,
        chatId: -1001234,
        threadId: 42,
        replyToMessageId: 55,
        userId: 7,
        ...extra,
      });
    expect(decodeQueuedMessage(legacy('agent'))).toEqual(items[0]);
    expect(decodeQueuedMessage(legacy('reset'))).toEqual(items[1]);
    const minimal = decodeQueuedMessage(
      JSON.stringify({
        key: { tenant: 'acme', chat: '5', thread: 'main' },
        updateId: 3,
        kind: 'debug',
        text: '',
        messageTime: 0,
        chatId: 5,
      }),
    );
    expect(minimal).toEqual({
      kind: 'debug',
      key: conversationKey({ tenant: 'acme', chat: '5' }),
      source: { type: 'telegram', updateId: 3, replyTo: { chatId: 5 } },
    });
    // Same SQS dedupe id as the item it becomes, so a re-send in the new format is still dropped.
    expect(messageDeduplicationId(decodeQueuedMessage(legacy('agent')))).toBe(
      messageDeduplicationId(items[0] as QueuedMessage),
    );
    rejects(legacy('agent', { chatId: 'x' }), /invalid agent work item/);
    rejects(legacy('agent', { extra: 1 }), /invalid agent work item/);
  });

  it('derives the dedupe id from tenant + update id only (stable for SQS dedupe)', () => {
    const id = messageDeduplicationId(items[0] as QueuedMessage);
    expect(id).toBe('fdca98ccbcf1bf61345632c1a0b822cb043d871358c6d7df245c9746d6e903cc');
    expect(messageDeduplicationId(items[1] as QueuedMessage)).toBe(id);
    expect(messageGroupId(items[0] as QueuedMessage)).toBe('acme:-1001234:42');
  });
});
