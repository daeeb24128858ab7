import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeTurnResult } from '../../test/support/turn-result.js';
import type { AgentRunner, TurnRequest } from '../agent/types.js';
import { conversationKey, type ConversationKey } from '../core/keys.js';
import type { TenantId } from '../core/ids.js';
import { FileRefusedError } from '../files/errors.js';
import { conversationFilesDir, workspacePath } from '../files/paths.js';
import { DEFAULT_FILE_POLICY, type FileId, type SentFile } from '../files/types.js';
import { createMemoryStorage } from '../sessions/adapters/memory/index.js';
import type { Storage } from '../sessions/types.js';
import type { ResolvedTenant, ResolvedTenants } from '../tenants/types.js';
import { LocalFileError } from './attach.js';
import { runChat, type ChatDeps } from './chat.js';
import { recordingTerminal } from '../../test/support/terminal.js';

/** `omnicloud chat --file` and `/file`: memory storage, a recording runner with the real `filesDir` layout. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const KEY = conversationKey({ tenant: 'default', chat: 'local' });

let dir: string;
let storage: Storage;
let calls: TurnRequest[];
let sent: SentFile[];
let built: number;

const runner: AgentRunner = {
  async runTurn(request) {
    calls.push(request);
    return fakeTurnResult({ response: 'ok', ...(sent.length ? { files: sent } : {}) });
  },
  async resetConversation() {},
  filesDir: async (key: ConversationKey) => conversationFilesDir(join(dir, 'workspace'), key),
};

function deps(tenants?: Pick<ResolvedTenants, 'tenants'>): () => Promise<ChatDeps> {
  return async () => {
    built++;
    return {
      runner,
      storage,
      provider: { kind: 'offline', baseUrl: 'http://127.0.0.1:1' },
      warm: { describe: () => null },
      close: async () => {},
      ...(tenants ? { tenants } : {}),
    };
  };
}

const terminal = recordingTerminal;

const local = (name: string, bytes: Buffer | string): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-chat-files-'));
  storage = createMemoryStorage();
  calls = [];
  sent = [];
  built = 0;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('omnicloud chat -m --file', () => {
  it('a missing file, a folder → a clear error before anything is built or run', async () => {
    const t = terminal();
    const missing = join(dir, 'nope.log');
    await expect(runChat(['-m', 'hi', '--file', missing], t.io, deps())).rejects.toThrow(
      new LocalFileError(`--file ${missing}: no such file`),
    );
    await expect(
      runChat(['-m', 'hi', '--file', local('ok.log', 'x\n'), '--file', dir], t.io, deps()),
    ).rejects.toThrow(`--file ${dir}: not a regular file`);
    expect(built).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('real files are stored (in the workspace and the store) and the turn gets them in order', async () => {
    const t = terminal();
    const png = local('chart.png', PNG);
    const log = local('app.log', 'ERROR disk full\n');
    expect(await runChat(['-m', 'look', '--file', png, '--file', log], t.io, deps())).toBe(0);
    const attachments = calls[0]?.attachments ?? [];
    expect(attachments.map((f) => [f.name, f.kind, f.direction])).toEqual([
      ['chart.png', 'image', 'in'],
      ['app.log', 'text', 'in'],
    ]);
    const folder = conversationFilesDir(join(dir, 'workspace'), KEY);
    expect(readFileSync(workspacePath(folder, attachments[0]!))).toEqual(PNG);
    expect((await storage.files.list(KEY)).map((f) => f.id)).toEqual(attachments.map((f) => f.id));
  });

  it('a file the tenant does not accept → refused, nothing stored, no turn', async () => {
    const t = terminal();
    const id = 'default' as TenantId;
    const tenant: ResolvedTenant = {
      id,
      apiTokens: [],
      configDir: dir,
      secrets: { apiTokens: [] },
      files: { ...DEFAULT_FILE_POLICY, allow: ['text'] },
    };
    const tenants = new Map([[id, tenant]]);
    const run = runChat(
      ['-m', 'x', '--file', local('a.log', 'x\n'), '--file', local('b.png', PNG)],
      t.io,
      deps({ tenants }),
    );
    await expect(run).rejects.toThrow(FileRefusedError);
    await expect(run).rejects.toThrow('b.png is an image; this bot accepts a text file');
    expect(calls).toHaveLength(0);
    expect(await storage.files.list(KEY)).toEqual([]);
  });

  it('files the agent sent are printed with their path on this machine', async () => {
    sent = [
      {
        id: 'fReportReportRep' as FileId,
        key: KEY,
        direction: 'out',
        name: 'report.csv',
        size: 12_800,
        mime: 'text/csv',
        kind: 'text',
        createdAt: 0,
        caption: 'weekly\ncosts',
      },
    ];
    const t = terminal();
    expect(await runChat(['-m', 'report please'], t.io, deps())).toBe(0);
    const path = join(dir, 'workspace', 'files', 'local', 'main', 'fReportReportRep', 'report.csv');
    expect(t.stderr()).toContain(`📎 sent report.csv (13 KB): ${path} — weekly costs\n`);
  });
});

describe('interactive /file', () => {
  it('attaches a file to the next message only; a missing one is an error line and sends nothing', async () => {
    const t = terminal();
    const png = local('shot.png', PNG);
    const exit = runChat([], t.io, deps());
    t.input.end(`/file ${join(dir, 'missing.png')}\n/file ${png}\nwhat is this?\nand this?\n`);
    expect(await exit).toBe(0);
    expect(t.stderr()).toContain(`error: /file ${join(dir, 'missing.png')}: no such file`);
    expect(t.stdout()).toContain('shot.png will be sent with your next message (1 file)');
    expect(calls.map((c) => [c.text, c.attachments?.map((f) => f.name)])).toEqual([
      ['what is this?', ['shot.png']],
      ['and this?', undefined],
    ]);
    expect(
      existsSync(
        workspacePath(conversationFilesDir(join(dir, 'workspace'), KEY), calls[0]!.attachments![0]!),
      ),
    ).toBe(true);
  });
});
