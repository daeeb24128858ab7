import fc from 'fast-check';
import { Api, GrammyError, InputFile } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatForTelegram } from '../../src/telegram/worker/format.js';
import { sendMarkdown } from '../../src/telegram/worker/reply.js';
import { markdownV2Problem, startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';

let fake: FakeTelegramApi;
let api: Api;
beforeAll(async () => {
  fake = await startFakeTelegramApi();
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
});
afterAll(async () => {
  await fake.close();
});

describe('fake Telegram Bot API', () => {
  it('enforces the 4096-character limit and refuses empty text like Telegram', async () => {
    await expect(api.sendMessage(1, 'x'.repeat(4097))).rejects.toThrow(/message is too long/);
    await expect(api.sendMessage(1, '   ')).rejects.toThrow(/message text is empty/);
    const ok = await api.sendMessage(1, 'x'.repeat(4096));
    expect(ok.text).toHaveLength(4096);
  });

  it("refuses unescaped MarkdownV2 with Telegram's 400", async () => {
    const err = await api.sendMessage(1, 'Total: 3.5', { parse_mode: 'MarkdownV2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrammyError);
    expect((err as GrammyError).description).toMatch(
      /^Bad Request: can't parse entities: Character '\.' is reserved/,
    );
    expect(markdownV2Problem('*bold* _it_ `a.b` [x](http://e.com/a.b) 3\\.5')).toBeUndefined();
    expect(markdownV2Problem('```\nunclosed')).toMatch(/end of pre/);
  });

  it('parses grammY multipart uploads', async () => {
    await api.sendDocument(-100, new InputFile(Buffer.from('a\r\nb'), 'notes.txt'), { caption: 'c' });
    const call = fake.callsTo('sendDocument').at(-1);
    expect(call?.files.document).toEqual({ filename: 'notes.txt', content: Buffer.from('a\r\nb') });
    expect(call?.params.caption).toBe('c');
  });

  it('every chunk of arbitrary Markdown is delivered: as MarkdownV2, or as plain text when refused', async () => {
    // telegramify-markdown is right almost always (fuzzing finds ~1 in 1000 inputs, e.g. nested
    // `> >` quotes, that Telegram would refuse): those chunks must take the plain-text fallback.
    const token = fc.oneof(
      fc.constantFrom(
        '**',
        '*',
        '_',
        '`',
        '```',
        '[',
        ']',
        '(',
        ')',
        '~~',
        '#',
        '>',
        '-',
        '+',
        '=',
        '|',
        '{',
        '}',
        '.',
        '!',
        '\\',
        '\n',
        '\n\n',
        ' ',
        '1.',
        '- ',
      ),
      fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 60 }), async (tokens) => {
        const markdown = tokens.join('');
        const before = fake.callsTo('sendMessage').length;
        const sent = await sendMarkdown(api, { chatId: 77 }, markdown);
        expect(sent).toBe(formatForTelegram(markdown).length);
        expect(fake.callsTo('sendMessage').length - before).toBe(sent);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('- >{~~-sSN', '>>)x#'), async (markdown) => {
        await sendMarkdown(api, { chatId: 78 }, markdown);
        expect(fake.sentTexts({ chatId: 78 }).at(-1)).toBe(markdown);
      }),
      { numRuns: 2 },
    );
  });
});
