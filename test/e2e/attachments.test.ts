import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TenantAgent } from '../../src/agent/profile.js';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  conversationFilesDir,
  DEFAULT_FILE_POLICY,
  ingestFile,
  workspacePath,
  type StoredFile,
} from '../../src/files/index.js';
import type { ContentBlock, Message } from '../../src/model/index.js';
import { blocksOf, isToolResultBlock } from '../../src/model/transcript-view.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/**
 * Attachments in and files out, end to end: the real runner, SDK and binary, the offline demo
 * model (which says what it was shown) and SQLite storage with its local file store.
 */
let h: AgentHarness;
const pools: WarmPool[] = [];

beforeAll(async () => {
  h = await startAgentHarness();
});
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string): ConversationKey => conversationKey({ tenant: 'default', chat });

/** A 1×1 PNG and a minimal PDF: recognised by content like any upload. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/** A file received for the conversation, as a front end stores it before the turn. */
async function receive(k: ConversationKey, name: string, bytes: Buffer | string): Promise<StoredFile> {
  const dir = await filesDir(k);
  const { file } = await ingestFile(h.storage.files, {
    key: k,
    direction: 'in',
    name,
    body: Readable.from([Buffer.from(bytes)]),
    policy: DEFAULT_FILE_POLICY,
    dir,
  });
  return file;
}

async function filesDir(k: ConversationKey): Promise<string> {
  const dir = await h.runner.filesDir?.(k);
  if (dir === undefined) throw new Error('the runner has no filesDir');
  return dir;
}

/** The user message the turn sent: the last non-tool-result user message of the turn's first request. */
function sentMessage(): ContentBlock[] {
  const first = h.model.requests[0];
  if (!first) throw new Error('no model request');
  const users = first.body.messages.filter(
    (m: Message) => m.role === 'user' && !blocksOf(m).some(isToolResultBlock),
  );
  return blocksOf(users.at(-1) as Message);
}

/**
 * Blocks as short labels: `text:<text>`, `image:<media type>`, `document:<media type>`. Measured:
 * when a message has images, the binary appends its `[Image: source: …]` lines at the end and a
 * line break to the text block before them; both are left out here.
 */
function shape(blocks: ContentBlock[]): string[] {
  return blocks.flatMap((b) => {
    if (b.type === 'text') {
      const text = String(b['text']).replace(/\n$/, '');
      const added = text.startsWith('<system-reminder>') || text.startsWith('[Image: source:');
      return added ? [] : [`text:${text}`];
    }
    const source = b['source'] as { media_type: string };
    return [`${b.type}:${source.media_type}`];
  });
}

const note = (file: StoredFile, path: string): string =>
  `text:<attachment name="${file.name}" kind="${file.kind}" type="${file.mime}" size="${file.size}" path="${path}"/>`;

describe('attachments into the agent (real binary, offline model)', () => {
  it('a photo reaches the model as an image block with its caption, and the answer counts it', async () => {
    const k = key('photo');
    const photo = await receive(k, 'dashboard.png', PNG);
    const path = workspacePath(await filesDir(k), photo);
    h.model.requests.length = 0;
    const result = await h.runner.runTurn({
      key: k,
      text: 'what is on this dashboard?',
      attachments: [photo],
    });
    expect(result.is_error, result.error_message ?? '').toBe(false);
    expect(result.response).toContain('You said: "what is on this dashboard?"');
    expect(result.response).toContain(`Attachments: 1 image; files: ${path}`);
    const blocks = sentMessage();
    const image = blocks.find((b) => b.type === 'image');
    expect(image).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') },
    });
    expect(shape(blocks)).toEqual(['text:what is on this dashboard?', 'image:image/png', note(photo, path)]);
  });

  it('an album with merged messages: every part in order, each with its time, caption and files', async () => {
    const k = key('album');
    const [a, b, c] = [
      await receive(k, 'a.png', PNG),
      await receive(k, 'b.png', PNG),
      await receive(k, 'c.png', PNG),
    ];
    const log = await receive(k, 'app.log', 'ERROR disk full\n');
    const dir = await filesDir(k);
    const p = (f: StoredFile): string => workspacePath(dir, f);
    const t1 = new Date('2026-12-01T10:00:00.000Z');
    const t2 = new Date('2026-12-01T10:00:05.000Z');
    h.model.requests.length = 0;
    const result = await h.runner.runTurn({
      key: k,
      text: 'two screenshots',
      messageTime: t1,
      attachments: [a, b],
      merged: [
        { text: '', messageTime: t1, attachments: [c] },
        { text: 'and the log', messageTime: t2, attachments: [log] },
      ],
    });
    expect(result.is_error, result.error_message ?? '').toBe(false);
    expect(result.response).toContain(`Attachments: 3 images; files: ${p(a)}, ${p(b)}, ${p(c)}, ${p(log)}`);
    const time = (t: Date): string => `text:<message_time>${t.toISOString()}</message_time>`;
    expect(shape(sentMessage())).toEqual([
      time(t1),
      'text:two screenshots',
      'image:image/png',
      note(a, p(a)),
      'image:image/png',
      note(b, p(b)),
      time(t1),
      'image:image/png',
      note(c, p(c)),
      time(t2),
      'text:and the log',
      note(log, p(log)),
    ]);
  });

  it('a PDF reaches the model as a document block the binary passes through unchanged', async () => {
    const k = key('pdf');
    const runbook = await receive(k, 'runbook.pdf', PDF);
    const path = workspacePath(await filesDir(k), runbook);
    h.model.requests.length = 0;
    const result = await h.runner.runTurn({ key: k, text: 'follow the runbook', attachments: [runbook] });
    expect(result.is_error, result.error_message ?? '').toBe(false);
    expect(result.response).toContain(`Attachments: 1 PDF document; files: ${path}`);
    expect(sentMessage().find((b) => b.type === 'document')).toEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') },
    });
  });

  it('a text file is announced by its path, and the agent can Read it there', async () => {
    const k = key('log');
    const log = await receive(k, 'app.log', 'line one\nERROR the disk is full\n');
    const path = workspacePath(await filesDir(k), log);
    h.model.requests.length = 0;
    const told = await h.runner.runTurn({ key: k, text: 'why did it fail?', attachments: [log] });
    expect(told.response).toContain(`Attachments: no images or documents; files: ${path}`);
    expect(shape(sentMessage())).toEqual(['text:why did it fail?', note(log, path)]);

    const read = await h.runner.runTurn({
      key: k,
      text: `call tool Read ${JSON.stringify({ file_path: path })}`,
    });
    expect(read.is_error, read.error_message ?? '').toBe(false);
    expect(read.response).toContain('Tool Read returned:');
    expect(read.response).toContain('ERROR the disk is full');
  });

  it('another container (its own workspace, the same storage) finds every file where the agent is told', async () => {
    const k = key('second-container');
    const first = await receive(k, 'first.log', 'from the first message\n');
    await h.runner.runTurn({ key: k, text: 'here is a log', attachments: [first] });
    // The next message was received (downloaded and stored) by the first container…
    const second = await receive(k, 'second.log', 'from the second message\n');

    // …and is run by a second container with an empty workspace of its own.
    const root = join(h.dir, 'container-2');
    const other = h.runnerWith({
      tenants: async (tenant): Promise<TenantAgent> => ({
        profile: PLAIN_PROFILE,
        workspace: await prepareWorkspace(join(root, tenant)),
      }),
    });
    const dir = conversationFilesDir(join(root, 'default', 'work'), k);
    expect(await other.filesDir?.(k)).toBe(dir);
    h.model.requests.length = 0;
    const result = await other.runTurn({ key: k, text: 'and another one', attachments: [second] });
    expect(result.is_error, result.error_message ?? '').toBe(false);
    expect(result.response).toContain(`files: ${workspacePath(dir, second)}`);
    // Both files are there, byte for byte: this turn's and the earlier one's.
    expect(await readFile(workspacePath(dir, second), 'utf8')).toBe('from the second message\n');
    expect(await readFile(workspacePath(dir, first), 'utf8')).toBe('from the first message\n');

    // A recycled first container (its folder wiped) gets them back before its next turn.
    await rm(await filesDir(k), { recursive: true, force: true });
    const again = await h.runner.runTurn({
      key: k,
      text: `call tool Read ${JSON.stringify({ file_path: workspacePath(await filesDir(k), second) })}`,
    });
    expect(again.response).toContain('from the second message');
  });
});

describe('a file store that fails', () => {
  it('fails the turn with files_unavailable before the agent is asked; a later delivery runs it', async () => {
    const k = key('store-down');
    const log = await receive(k, 'app.log', 'boom\n');
    const down = h.runnerWith({
      storage: {
        ...h.storage,
        files: { ...h.storage.files, list: () => Promise.reject(new Error('S3 is down')) },
      },
    });
    h.model.requests.length = 0;
    const request = { key: k, text: 'look', attachments: [log], requestId: 'tg:77' };
    await expect(down.runTurn(request)).rejects.toMatchObject({
      code: 'files_unavailable',
      status: 503,
      message: expect.stringContaining('S3 is down'),
    });
    expect(h.model.requests).toHaveLength(0);
    // Nothing ran, so the queue's next delivery of the same message runs it.
    const retried = await h.runner.runTurn(request);
    expect(retried.replayed).toBeUndefined();
    expect(retried.response).toContain('files: ');
  });
});

describe('send_file (real binary, offline model)', () => {
  const sendFile = (input: { path: string; caption?: string }): string =>
    `call tool mcp__omnicloud__send_file ${JSON.stringify(input)}`;

  async function outFiles(k: ConversationKey): Promise<StoredFile[]> {
    return (await h.storage.files.list(k)).filter((f) => f.direction === 'out');
  }

  async function storedBytes(k: ConversationKey, file: StoredFile): Promise<Buffer> {
    const opened = await h.storage.files.open(k, file.id);
    if (!opened) throw new Error('not stored');
    const chunks: Buffer[] = [];
    for await (const chunk of opened.body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  it('sends a file of the conversation folder (cold path): stored as out, in result.files, replayed with the result', async () => {
    const k = key('send-cold');
    const dir = await filesDir(k);
    await mkdir(dir, { recursive: true });
    const csv = 'host,cpu\nweb-1,97\n';
    await writeFile(join(dir, 'report.csv'), csv);

    const request = {
      key: k,
      text: sendFile({ path: 'report.csv', caption: 'CPU report' }),
      requestId: 'api:send-1',
    };
    const result = await h.runner.runTurn(request);
    expect(result.is_error, result.error_message ?? '').toBe(false);
    expect(result.response).toContain('Sent report.csv (');
    expect(result.files).toHaveLength(1);
    const sent = result.files?.[0];
    expect(sent).toMatchObject({
      name: 'report.csv',
      direction: 'out',
      kind: 'text',
      size: csv.length,
      caption: 'CPU report',
      key: k,
    });
    // Stored durably as an `out` file of the conversation, byte for byte.
    const stored = await outFiles(k);
    expect(stored.map((f) => f.id)).toEqual([sent?.id]);
    expect((await storedBytes(k, stored[0] as StoredFile)).toString()).toBe(csv);

    // A repeat of the request gets the same files back with the recorded result.
    const repeat = await h.runner.runTurn(request);
    expect(repeat.replayed).toBe('done');
    expect(repeat.files).toEqual(result.files);
    expect(await outFiles(k)).toHaveLength(1);
  });

  it('refuses anything outside the folder, links leading out, missing files and folders: nothing stored', async () => {
    const k = key('send-refused');
    const dir = await filesDir(k);
    await mkdir(join(dir, 'sub'), { recursive: true });
    await symlink('/etc/hostname', join(dir, 'escape.txt'));
    const outside = join(h.dir, 'outside.txt');
    await writeFile(outside, 'secret\n');
    const pool = createWarmPool({ max: 2, idleMs: 60_000, logger: silentLogger });
    pools.push(pool);
    const runner = h.runnerWith({ warm: pool });
    const cases: Array<[string, string]> = [
      ['../../etc/passwd', `only files inside ${dir} can be sent: copy it there first`],
      [outside, `only files inside ${dir} can be sent: copy it there first`],
      [
        'escape.txt',
        `only files inside ${dir} can be sent: copy it there first ("escape.txt" leads outside it)`,
      ],
      ['missing.csv', `there is no file "missing.csv" in ${dir}: write or copy it there first`],
      ['sub', '"sub" is not a regular file (a folder or a device); only files can be sent'],
    ];
    for (const [path, reason] of cases) {
      const result = await runner.runTurn({ key: k, text: sendFile({ path }) });
      expect(result.is_error, result.error_message ?? '').toBe(false);
      expect(result.response).toContain(`The mcp__omnicloud__send_file tool failed: "${reason}"`);
      expect(result.files).toBeUndefined();
    }
    expect(await outFiles(k)).toEqual([]);
    // Later turns ran in the live process the first one started.
    expect(pool.stats().hits).toBe(cases.length - 1);
  });

  it('sends from a live process (warm path), attributed to the turn that asked', async () => {
    const k = key('send-warm');
    const dir = await filesDir(k);
    const pool = createWarmPool({ max: 2, idleMs: 60_000, logger: silentLogger });
    pools.push(pool);
    const runner = h.runnerWith({ warm: pool });
    const first = await runner.runTurn({ key: k, text: 'hello' });
    expect(first.files).toBeUndefined();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'chart.png'), PNG);
    const result = await runner.runTurn({ key: k, text: sendFile({ path: join(dir, 'chart.png') }) });
    expect(pool.stats().hits).toBe(1);
    expect(result.files?.map((f) => [f.name, f.kind, f.mime, f.caption])).toEqual([
      ['chart.png', 'image', 'image/png', undefined],
    ]);
    const next = await runner.runTurn({ key: k, text: 'thanks' });
    expect(next.files).toBeUndefined();
    expect(pool.stats().hits).toBe(2);
    expect(await outFiles(k)).toHaveLength(1);
  });
});
