/**
 * One agent turn in its own Node process, as a fresh container would run it: its own S3/DynamoDB
 * clients, cloud storage, config dir, temp dir and cwd — nothing shared with other processes but
 * the peers (fauxqs, DynamoDB Local, the offline model server). Used by e2e-two-processes.test.ts.
 *
 *   node --import tsx test/cloud/e2e-turn.ts '<json TurnScriptInput>'
 *
 * Prints one JSON line: the turn result and every `load()` the SDK made through the store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentProfile, TenantAgent } from '../../src/agent/profile.js';
import { createAgentRunner } from '../../src/agent/runner.js';
import { offlineRunnerDeps } from '../support/runner-deps.js';
import { conversationKey } from '../../src/core/keys.js';
import { createCloudClients, createCloudStorage } from '../../src/sessions/adapters/cloud/index.js';
import type { Storage, TranscriptStore } from '../../src/sessions/types.js';
import { PEER_CREDENTIALS, PEER_REGION } from '../peers/types.js';

export interface TurnScriptInput {
  s3Endpoint: string;
  dynamoEndpoint: string;
  bucket: string;
  table: string;
  modelUrl: string;
  tenant: string;
  chat: string;
  text: string;
}

export interface TurnScriptOutput {
  result: Awaited<ReturnType<ReturnType<typeof createAgentRunner>['runTurn']>>;
  /** `load()` calls made through the store: subpath ('' = main) and entries returned (-1 = null). */
  loads: Array<{ subpath: string; entries: number }>;
}

export const E2E_PROFILE: AgentProfile = {
  agents: {
    researcher: {
      description: 'Researches questions',
      prompt: 'You are the researcher subagent.',
      tools: [],
    },
  },
  mcpServers: {},
  systemPrompt: 'You are a test agent.',
  skills: [],
  tools: { allowedTools: [], disallowedTools: [], permissionMode: 'default' },
};

/** A store that records each load (what the SDK restores on resume) and passes everything through. */
function recording(store: TranscriptStore, loads: TurnScriptOutput['loads']): TranscriptStore {
  return {
    ...store,
    append: (key, entries) => store.append(key, entries),
    async load(key) {
      const entries = await store.load(key);
      loads.push({ subpath: key.subpath ?? '', entries: entries?.length ?? -1 });
      return entries;
    },
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as TurnScriptInput;
  const dir = await mkdtemp(join(tmpdir(), 'omni-e2e-turn-'));
  const clients = createCloudClients({
    region: PEER_REGION,
    s3Endpoint: input.s3Endpoint,
    dynamoEndpoint: input.dynamoEndpoint,
    credentials: PEER_CREDENTIALS,
  });
  const cloud = createCloudStorage({
    s3: clients.s3,
    dynamo: clients.dynamo,
    bucket: input.bucket,
    table: input.table,
  });
  const loads: TurnScriptOutput['loads'] = [];
  const storage: Storage = {
    ...cloud,
    transcriptsFor: (lease) => recording(cloud.transcriptsFor(lease), loads),
  };
  const workspace = await prepareWorkspace(dir);
  const tenants = async (): Promise<TenantAgent> => ({ profile: E2E_PROFILE, workspace });
  const runner = createAgentRunner({
    ...offlineRunnerDeps(input.modelUrl, storage, tenants),
    // A turn in a fresh process on a shared 2-core machine: more room than in-process tests.
    limits: { maxRetries: 1, apiTimeoutMs: 20_000, turnTimeoutMs: 90_000, maxTurns: 10 },
    lease: { ttlMs: 30_000, waitMs: 10_000 },
  });
  try {
    const result = await runner.runTurn({
      key: conversationKey({ tenant: input.tenant, chat: input.chat }),
      text: input.text,
    });
    const output: TurnScriptOutput = { result, loads };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } finally {
    clients.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
