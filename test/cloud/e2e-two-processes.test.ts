import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectKeyForTenant } from '../../src/core/keys.js';
import { DEMO_LABEL, startModelServer, userTexts, type ModelServer } from '../../src/model/index.js';
import { createCloudStorage } from '../../src/sessions/adapters/cloud/index.js';
import { startCloudPeers, type CloudPeers } from '../peers/cloud.js';
import type { TurnScriptInput, TurnScriptOutput } from './e2e-turn.js';

/**
 * End to end across processes: the agent runner with the real SDK binary, the offline model and
 * the cloud storage, one turn per Node process. The processes share nothing but the peers
 * (fauxqs, DynamoDB Local, the model server): own clients, config dir, TMPDIR and cwd.
 */
const SCRIPT = fileURLToPath(new URL('./e2e-turn.ts', import.meta.url));
/** tsx by absolute URL: each process runs in its own empty cwd. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const TENANT = 'acme';

let peers: CloudPeers;
let model: ModelServer;
let bucket: string;
let table: string;
const dirs: string[] = [];

beforeAll(async () => {
  [peers, model] = await Promise.all([startCloudPeers(), startModelServer()]);
  [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
});
afterAll(async () => {
  await model?.close();
  await peers?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function turnInNewProcess(chat: string, text: string): Promise<TurnScriptOutput> {
  const tmp = await mkdtemp(join(tmpdir(), 'omni-e2e-proc-'));
  dirs.push(tmp);
  const input: TurnScriptInput = {
    s3Endpoint: peers.fauxqs.endpoint,
    dynamoEndpoint: peers.dynamodb.endpoint,
    bucket,
    table,
    modelUrl: model.url,
    tenant: TENANT,
    chat,
    text,
  };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', TSX, SCRIPT, JSON.stringify(input)],
    {
      cwd: tmp,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmp, TMPDIR: tmp },
      maxBuffer: 16 << 20,
      timeout: 120_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as TurnScriptOutput;
}

describe('cloud storage end to end: two turns in two processes', () => {
  it(
    'the second process resumes the first one’s session, subagent transcript included',
    { timeout: 240_000 },
    async () => {
      const chat = `e2e-${Date.now()}`;
      const first = await turnInNewProcess(chat, 'ask subagent researcher: find the magic word');
      expect(first.result.is_error, first.result.error_message ?? '').toBe(false);
      expect(first.result.response).toContain('Subagent report');
      const sessionId = first.result.session_id;
      expect(first.loads).toEqual([]); // a new conversation: nothing to resume

      // Read back with this process's own storage instance: main + subagent stream are stored.
      const store = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table, cacheBytes: 0 });
      const projectKey = projectKeyForTenant(TENANT as never);
      const subkeys = await store.transcripts.listSubkeys({ projectKey, sessionId });
      expect(subkeys.some((s) => s.startsWith('subagents/agent-'))).toBe(true);
      const subagent = subkeys.find((s) => s.startsWith('subagents/agent-'))!;
      const subEntries = await store.transcripts.load({ projectKey, sessionId, subpath: subagent });
      expect(JSON.stringify(subEntries)).toContain('find the magic word');

      model.requests.length = 0;
      const second = await turnInNewProcess(chat, 'what did I ask you before?');
      expect(second.result.is_error, second.result.error_message ?? '').toBe(false);
      expect(second.result.session_id).toBe(sessionId);
      expect(second.result.response).toContain(DEMO_LABEL);
      const last = model.requests.at(-1)!;
      expect(userTexts(last)).toEqual([
        'ask subagent researcher: find the magic word',
        'what did I ask you before?',
      ]);
      expect(JSON.stringify(last.body.messages)).toContain('Subagent report');
      // On resume the SDK listed the subkeys and loaded each: the subagent transcript came back whole.
      expect(second.loads[0]).toMatchObject({ subpath: '' });
      expect(second.loads[0]!.entries).toBeGreaterThan(0);
      expect(second.loads).toContainEqual({ subpath: subagent, entries: subEntries!.length });
    },
  );
});
