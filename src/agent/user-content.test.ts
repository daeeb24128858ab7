import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { conversationKey } from '../core/keys.js';
import { newFileId } from '../files/ids.js';
import { workspacePath } from '../files/paths.js';
import type { FileKind, StoredFile } from '../files/types.js';
import { userMessage } from './options.js';
import {
  attachmentNote,
  base64Length,
  buildUserMessage,
  bytesForBase64,
  IMAGE_BLOCK_MAX_BASE64,
  INLINE_BUDGET_BASE64,
  showAs,
  withAttachmentNotes,
} from './user-content.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const key = conversationKey({ tenant: 'default', chat: 'c1' });

function stored(name: string, kind: FileKind, mime: string, size: number): StoredFile {
  return { id: newFileId(), key, direction: 'in', name, size, mime, kind, createdAt: 0 };
}

/** A conversation folder holding `files` with the given bytes. */
async function folder(files: Array<[StoredFile, Buffer]>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'user-content-'));
  dirs.push(dir);
  for (const [file, bytes] of files) {
    await mkdir(join(dir, file.id), { recursive: true });
    await writeFile(workspacePath(dir, file), bytes);
  }
  return dir;
}

type Block = { type: string; text?: string; source?: { media_type: string; data: string } };
const blocksOf = (content: unknown): Block[] => content as Block[];

describe('buildUserMessage', () => {
  it('is userMessage byte for byte when no part has files', async () => {
    const t = new Date('2026-12-01T10:00:00Z');
    const parts = [
      { text: 'one', messageTime: t },
      { text: '', messageTime: undefined, attachments: [] },
    ] as const;
    const built = await buildUserMessage(parts, '/nowhere');
    expect(JSON.stringify(built)).toBe(
      JSON.stringify(userMessage('one', t, [{ text: '', messageTime: undefined }])),
    );
  });

  it('per part: time, caption (left out when empty), then each file as its block and its note', async () => {
    const png = stored('a.png', 'image', 'image/png', 4);
    const pdf = stored('r.pdf', 'pdf', 'application/pdf', 5);
    const log = stored('app.log', 'text', 'text/plain', 3);
    const dir = await folder([
      [png, Buffer.from('PNG!')],
      [pdf, Buffer.from('%PDF-')],
      [log, Buffer.from('log')],
    ]);
    const t = new Date('2026-12-01T10:00:00Z');
    const built = await buildUserMessage(
      [
        { text: '', messageTime: t, attachments: [png] },
        { text: 'and these', messageTime: undefined, attachments: [pdf, log] },
      ],
      dir,
    );
    expect(blocksOf(built.message.content)).toEqual([
      { type: 'text', text: '<message_time>2026-12-01T10:00:00.000Z</message_time>' },
      {
        type: 'image',
        source: { type: 'base64', media_type: 'image/png', data: Buffer.from('PNG!').toString('base64') },
      },
      { type: 'text', text: attachmentNote(png, workspacePath(dir, png)) },
      { type: 'text', text: 'and these' },
      {
        type: 'document',
        source: {
          type: 'base64',
          media_type: 'application/pdf',
          data: Buffer.from('%PDF-').toString('base64'),
        },
      },
      { type: 'text', text: attachmentNote(pdf, workspacePath(dir, pdf)) },
      { type: 'text', text: attachmentNote(log, workspacePath(dir, log)) },
    ]);
  });

  it('fails when a file it is to show cannot be read (never a silent message without it)', async () => {
    const png = stored('gone.png', 'image', 'image/png', 4);
    const dir = await folder([]);
    await expect(
      buildUserMessage([{ text: 'x', messageTime: undefined, attachments: [png] }], dir),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe('showAs: the Messages API limits, on base64', () => {
  const largestImage = bytesForBase64(IMAGE_BLOCK_MAX_BASE64);

  it('shows an image up to 5 MB of base64 (about 3.75 MB of file), a path beyond', () => {
    expect(base64Length(largestImage)).toBeLessThanOrEqual(IMAGE_BLOCK_MAX_BASE64);
    expect(base64Length(largestImage + 1)).toBeGreaterThan(IMAGE_BLOCK_MAX_BASE64);
    expect(showAs({ kind: 'image', mime: 'image/jpeg', size: largestImage }, INLINE_BUDGET_BASE64)).toEqual({
      as: 'image',
      mediaType: 'image/jpeg',
    });
    const big = showAs({ kind: 'image', mime: 'image/jpeg', size: largestImage + 1 }, INLINE_BUDGET_BASE64);
    expect(big).toMatchObject({
      as: 'none',
      why: expect.stringContaining('not shown as an image: larger than'),
    });
  });

  it('shows a PDF while the message budget lasts; other kinds by path only', () => {
    const pdf = { kind: 'pdf' as const, mime: 'application/pdf', size: bytesForBase64(INLINE_BUDGET_BASE64) };
    expect(showAs(pdf, INLINE_BUDGET_BASE64)).toEqual({ as: 'document' });
    expect(showAs(pdf, INLINE_BUDGET_BASE64 - 4)).toMatchObject({
      as: 'none',
      why: expect.stringContaining('more than one request can carry'),
    });
    expect(showAs({ kind: 'text', mime: 'text/plain', size: 1 }, INLINE_BUDGET_BASE64)).toEqual({
      as: 'none',
    });
    expect(showAs({ kind: 'image', mime: 'image/bmp', size: 1 }, INLINE_BUDGET_BASE64)).toMatchObject({
      as: 'none',
    });
  });

  it('lets the images of one message share the budget: the ones that no longer fit get their path', async () => {
    const size = bytesForBase64(IMAGE_BLOCK_MAX_BASE64);
    const count = Math.floor(INLINE_BUDGET_BASE64 / IMAGE_BLOCK_MAX_BASE64) + 1; // one too many
    const images = Array.from({ length: count }, (_, i) => stored(`s${i}.png`, 'image', 'image/png', size));
    const dir = await folder(images.map((f) => [f, Buffer.alloc(size)]));
    const built = await buildUserMessage(
      [{ text: 'screens', messageTime: undefined, attachments: images }],
      dir,
    );
    const blocks = blocksOf(built.message.content);
    expect(blocks.filter((b) => b.type === 'image')).toHaveLength(count - 1);
    expect(blocks.at(-1)?.text).toContain(
      'note="not shown as an image: the files of this message are more than',
    );
  });
});

describe('attachmentNote', () => {
  it('escapes quotes, angle brackets, ampersands and line breaks in every value', () => {
    const file = stored(`a "b" <c> & d's\n.log`, 'text', 'text/plain', 12);
    expect(attachmentNote(file, `/w/${file.name}`)).toBe(
      '<attachment name="a &quot;b&quot; &lt;c&gt; &amp; d&apos;s&#xA;.log" kind="text" type="text/plain" ' +
        'size="12" path="/w/a &quot;b&quot; &lt;c&gt; &amp; d&apos;s&#xA;.log"/>',
    );
    expect(attachmentNote(file, '/w/x', 'not "shown"')).toMatch(/ note="not &quot;shown&quot;"\/>$/);
  });

  it('names the files of a part in text where no blocks can go (an answer to an approval request)', () => {
    const log = stored('app.log', 'text', 'text/plain', 3);
    expect(withAttachmentNotes({ text: 'see', messageTime: undefined, attachments: [log] }, '/d')).toEqual({
      text: `see\n${attachmentNote(log, workspacePath('/d', log))}`,
      messageTime: undefined,
    });
    expect(withAttachmentNotes({ text: 'plain', messageTime: undefined }, '/d')).toEqual({
      text: 'plain',
      messageTime: undefined,
    });
  });
});
