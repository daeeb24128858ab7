import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentRunner, TurnRequest } from '../../src/agent/types.js';
import { conversationKey } from '../../src/core/keys.js';
import { ingestFile } from '../../src/files/ingest.js';
import {
  DEFAULT_FILE_POLICY,
  type FilePolicy,
  type SentFile,
  type StoredFile,
} from '../../src/files/types.js';
import { userTexts } from '../../src/model/index.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { USER, privateDocument, privateOther, privatePhotoOf } from './updates.js';

/**
 * Photos and documents through the whole Telegram pipeline with the REAL agent runner (SDK binary,
 * offline model, SQLite storage with its local file store): webhook → queue → worker (download from
 * the fake Bot API, streamed into the conversation's folder and the durable store) → turn → reply.
 * What the runner was handed is recorded on the way in (the runner turns it into content blocks).
 */

/** A PNG header (what `sniffFile` recognises as an image) followed by `tag`, so each photo differs. */
const png = (tag: string): Buffer =>
  Buffer.concat([
    Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
    Buffer.from(`0000000d49444154${Buffer.from(tag).toString('hex')}`, 'hex'),
  ]);

const key = conversationKey({ tenant: 'default', chat: USER.id });
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');

describe('Telegram files end to end (real agent, in-process queue)', () => {
  let h: AgentHarness;
  let p: Pipeline;
  let requests: TurnRequest[];
  let policy: FilePolicy;
  let sendBack: (request: TurnRequest) => Promise<SentFile[]>;

  beforeEach(async () => {
    h = await startAgentHarness();
    requests = [];
    policy = DEFAULT_FILE_POLICY;
    sendBack = async () => [];
    // The real runner, with what it was asked recorded, and (for the files-out case) the files
    // the agent "sent" added to the result it delivers under its lease.
    const runner: AgentRunner = {
      ...h.runner,
      runTurn: async (request) => {
        requests.push(request);
        const deliver = request.deliver;
        return h.runner.runTurn({
          ...request,
          ...(deliver
            ? { deliver: async (result) => deliver({ ...result, files: await sendBack(request) }) }
            : {}),
        });
      },
    };
    p = await startPipeline({
      runner,
      live: { enabled: false },
      files: { store: h.storage.files, policy: () => policy, downloadTimeoutMs: 1500 },
    });
  });
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  const replies = (): string[] => p.api.sentTexts({ chatId: USER.id }).map(unescape);
  const folder = (): Promise<string> => h.runner.filesDir?.(key) as Promise<string>;
  /** Every file under the conversation's folder (relative paths), temporary ones included. */
  const workspaceFiles = async (): Promise<string[]> => {
    const dir = await folder();
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
  };
  const storedBytes = async (file: StoredFile): Promise<Buffer> => {
    const opened = await h.storage.files.open(key, file.id);
    if (!opened) throw new Error(`file ${file.id} is not in the store`);
    return buffer(opened.body);
  };

  it('answers a captioned photo in one turn with the largest size stored in the conversation', async () => {
    const small = p.api.addFile(png('small'));
    const large = p.api.addFile(png('large-size'));
    await p.post(
      privatePhotoOf(
        [
          { ...small, width: 90 },
          { ...large, width: 1280 },
        ],
        { caption: 'why is this dashboard red?' },
      ),
    );
    await p.api.waitFor(() => replies().length === 1, 30_000);
    expect(h.model.requests).toHaveLength(1);
    expect(userTexts(h.model.requests[0] as never).join('\n')).toContain('why is this dashboard red?');
    const [file] = requests[0]?.attachments ?? [];
    expect(requests[0]?.text).toBe('why is this dashboard red?');
    expect(file).toMatchObject({ kind: 'image', direction: 'in', size: large.size, mime: 'image/png' });
    expect(p.api.downloads(large.fileId)).toBe(1);
    expect(p.api.downloads(small.fileId)).toBe(0);
    // By id and content: the local store reads `createdAt` back from the file's mtime.
    const listed = await h.storage.files.list(key);
    expect(listed.map((f) => f.id)).toEqual([file?.id]);
    expect(listed[0]).toMatchObject({ kind: 'image', size: large.size, direction: 'in' });
    expect(
      (await readFile(join(await folder(), file?.id ?? '', file?.name ?? ''))).equals(png('large-size')),
    ).toBe(true);
  });

  it('makes an album of 3 parts, out of order and one part twice, one turn with 3 images in order', async () => {
    const parts = [1, 2, 3].map((n) => p.api.addFile(png(`part-${n}`)));
    const update = (n: number, id?: number) =>
      privatePhotoOf([{ ...(parts[n - 1] as (typeof parts)[number]), width: 800 }], {
        mediaGroupId: 'album-77',
        messageId: 500 + n,
        ...(n === 1 ? { caption: 'three screenshots of the outage' } : {}),
        ...(id !== undefined ? { id } : {}),
      });
    for (const u of [update(3), update(1), update(2), update(2)]) expect((await p.post(u)).status).toBe(200);
    await p.api.waitFor(() => replies().length === 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a second turn to show up
    expect(replies()).toHaveLength(1);
    expect(h.model.requests).toHaveLength(1);
    const turn = requests[0] as TurnRequest;
    expect(turn.text).toBe('three screenshots of the outage');
    const images = [turn.attachments ?? [], ...(turn.merged ?? []).map((m) => m.attachments ?? [])].flat();
    expect(images).toHaveLength(3);
    expect(await Promise.all(images.map(storedBytes))).toEqual([1, 2, 3].map((n) => png(`part-${n}`)));
  });

  it('stores a log document under its own name in the conversation’s folder and the store', async () => {
    const log = Buffer.from('2026-12-01T10:00:00Z ERROR db: connection refused\n'.repeat(200));
    const file = p.api.addFile(log);
    await p.post(privateDocument(file, { name: 'api-server.log', mime: 'text/plain' }));
    await p.api.waitFor(() => replies().length === 1, 30_000);
    const [stored] = requests[0]?.attachments ?? [];
    expect(stored).toMatchObject({ kind: 'text', name: 'api-server.log', size: log.length });
    expect(await workspaceFiles()).toEqual([`${stored?.id}/api-server.log`]);
    expect((await storedBytes(stored as StoredFile)).equals(log)).toBe(true);
  });

  it('refuses a document over the tenant’s cap before queueing it: a clear reply, nothing stored', async () => {
    policy = { ...DEFAULT_FILE_POLICY, maxBytes: 1024 };
    await p.service.stop();
    p = await startPipeline({
      runner: h.runner,
      live: { enabled: false },
      files: { store: h.storage.files, policy: () => policy },
    });
    const big = p.api.addFile(Buffer.alloc(5000, 'x'));
    // Declared small but 5000 bytes: refused by the worker while streaming.
    const liar = p.api.addFile(Buffer.alloc(5000, 'y'));
    await p.post(privateDocument(big, { name: 'huge.log' }));
    await p.post(privateDocument({ ...liar, size: 100 }, { name: 'liar.log' }));
    await p.api.waitFor(() => replies().length === 2, 30_000);
    expect(replies()[0]).toMatch(/^"huge\.log" is too large for me .*Nothing was sent to the agent/);
    expect(replies()[1]).toMatch(/liar\.log is larger than .*nothing was sent to the agent/is);
    expect(p.api.downloads(big.fileId)).toBe(0);
    expect(await h.storage.files.list(key)).toEqual([]);
    expect(await workspaceFiles()).toEqual([]);
    expect(h.model.requests).toHaveLength(0);
  });

  it('says so when a download fails or stalls halfway, keeps nothing of it and answers the caption', async () => {
    const broken = p.api.addFile(Buffer.alloc(300_000, 'a'), { failAfter: 100_000 });
    const stalled = p.api.addFile(Buffer.alloc(300_000, 'b'), { stallAfter: 100_000 });
    await p.post(privateDocument(broken, { name: 'broken.log' }));
    await p.api.waitFor(() => replies().length === 1, 30_000);
    expect(replies()[0]).toMatch(/"broken\.log": the download failed[\s\S]*nothing was sent to the agent/);
    expect(p.api.downloads(broken.fileId)).toBe(2); // one retry on a network error
    // "typing…" while it was being fetched (no turn ran, so it was the download's).
    const told = p.api.callsTo('sendMessage')[0]?.at ?? 0;
    expect(p.api.callsTo('sendChatAction').some((c) => c.params.action === 'typing' && c.at <= told)).toBe(
      true,
    );
    await p.post(privateDocument(stalled, { name: 'stalled.log', caption: 'see the log' }));
    await p.api.waitFor(() => replies().length === 3, 30_000);
    expect(replies()[1]).toMatch(/"stalled\.log": the download timed out[\s\S]*answered with the rest/);
    expect(replies()[2]).toContain('see the log');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.attachments).toBeUndefined();
    expect(await h.storage.files.list(key)).toEqual([]);
    expect(await workspaceFiles()).toEqual([]);
  });

  it('answers a voice message with "not supported yet" and runs nothing', async () => {
    await p.post(privateOther('voice', { file_id: 'v1', file_unique_id: 'uv1', duration: 3 }));
    await p.api.waitFor(() => replies().length === 1, 10_000);
    expect(replies()[0]).toMatch(/^Voice messages are not supported yet/);
    expect(requests).toHaveLength(0);
  });

  it('sends the agent’s files after its answer: an image as a photo, a log as a document', async () => {
    const dir = await folder();
    sendBack = async () => {
      const out = async (name: string, body: Buffer, caption: string): Promise<SentFile> => {
        const { file } = await ingestFile(h.storage.files, {
          key,
          direction: 'out',
          name,
          body: Readable.from([body]),
          policy: DEFAULT_FILE_POLICY,
          dir,
        });
        return { ...file, caption };
      };
      return [
        await out('chart.png', png('chart'), 'error rate, last hour'),
        await out('report.log', Buffer.from('all clear\n'), 'the report'),
      ];
    };
    const upload = p.api.addFile(Buffer.from('hello\n'));
    await p.post(privateDocument(upload, { name: 'hello.txt', caption: 'make me a report' }));
    await p.api.waitFor(() => p.api.callsTo('sendDocument').length === 1, 30_000);
    expect(replies()).toHaveLength(1);
    const photo = p.api.callsTo('sendPhoto')[0];
    const doc = p.api.callsTo('sendDocument')[0];
    expect(photo?.params.caption).toBe('error rate, last hour');
    expect(photo?.files.photo?.content.equals(png('chart'))).toBe(true);
    expect(doc?.params.caption).toBe('the report');
    expect(doc?.files.document).toMatchObject({ filename: 'report.log' });
    expect(doc?.files.document?.content.toString()).toBe('all clear\n');
    // After the answer text, in order.
    const order = p.api.calls.filter((c) => c.ok && /^send(Message|Photo|Document)$/.test(c.method));
    expect(order.map((c) => c.method)).toEqual(['sendMessage', 'sendPhoto', 'sendDocument']);
  });
});

describe('Telegram files end to end (real agent, SQS FIFO queue on fauxqs)', () => {
  let h: AgentHarness;
  let p: Pipeline;
  beforeEach(async () => {
    h = await startAgentHarness();
    p = await startPipeline({
      runner: h.runner,
      queue: 'sqs',
      live: { enabled: false },
      files: { store: h.storage.files, policy: () => DEFAULT_FILE_POLICY },
    });
  });
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  it('carries a captioned photo through the queue’s wire format to one turn with the file stored', async () => {
    const photo = p.api.addFile(png('over-sqs'));
    await p.post(privatePhotoOf([{ ...photo, width: 640 }], { caption: 'from the SQS path' }));
    await p.api.waitFor(() => p.api.sentTexts({ chatId: USER.id }).length === 1, 30_000);
    expect(h.model.requests).toHaveLength(1);
    expect(userTexts(h.model.requests[0] as never).join('\n')).toContain('from the SQS path');
    const stored = await h.storage.files.list(key);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: 'image', size: photo.size, direction: 'in' });
    expect(p.api.downloads(photo.fileId)).toBe(1);
  });
});
