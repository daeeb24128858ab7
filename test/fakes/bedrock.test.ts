import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, type SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_LABEL, streamEvents, textReply, userTexts } from '../../src/model/index.js';
import { startFakeBedrock, type FakeBedrock } from './bedrock.js';
import { decodeFrames, encodeChunk, encodeFrame } from './bedrock-eventstream.js';
import { readBedrockAuth } from './bedrock-sigv4.js';

const ACCESS_KEY_ID = 'AKIAOFFLINEEXAMPLE';
const SECRET = 'offline-dummy-secret-key';

let fake: FakeBedrock | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('event-stream framing', () => {
  it('round-trips chunk frames with both CRCs checked', () => {
    const events = streamEvents({ kind: 'text', text: 'hi' }, { messageId: 'm', model: 'x', bodyChars: 8 });
    const frames = decodeFrames(Buffer.concat(events.map(encodeChunk)));
    expect(frames).toHaveLength(events.length);
    expect(frames[0]?.headers).toEqual({
      ':event-type': 'chunk',
      ':content-type': 'application/json',
      ':message-type': 'event',
    });
    const payload = JSON.parse(frames[0]!.payload.toString('utf8')) as { bytes: string };
    expect(JSON.parse(Buffer.from(payload.bytes, 'base64').toString('utf8'))).toEqual(events[0]);
  });

  it('detects a corrupted frame', () => {
    const frame = encodeFrame({ a: 'b' }, Buffer.from('payload'));
    const at = frame.length - 6;
    frame.writeUInt8(frame.readUInt8(at) ^ 0xff, at);
    expect(() => decodeFrames(frame)).toThrow(/crc/);
  });
});

describe('auth header reading', () => {
  it('reads the SigV4 credential scope and rejects a wrong signature', () => {
    const auth = readBedrockAuth(
      {
        method: 'POST',
        url: '/model/x/invoke',
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/20261125/eu-west-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
          host: 'h',
          'x-amz-date': '20261125T000000Z',
        },
        body: '{}',
      },
      SECRET,
    );
    expect(auth).toMatchObject({
      scheme: 'sigv4',
      accessKeyId: ACCESS_KEY_ID,
      region: 'eu-west-1',
      service: 'bedrock',
      signedHeaders: ['host', 'x-amz-date'],
      signatureValid: false,
    });
    expect(readBedrockAuth({ method: 'GET', url: '/', headers: {}, body: '' })).toEqual({ scheme: 'none' });
  });
});

describe('fake Bedrock runtime over HTTP', () => {
  it('answers invoke with JSON and invoke-with-response-stream with frames; profiles 404 by default', async () => {
    fake = await startFakeBedrock({ handler: () => textReply('from bedrock') });
    const model = encodeURIComponent('arn:aws:bedrock:eu-west-1:1:inference-profile/eu.anthropic.x');
    const body = JSON.stringify({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const json = (await (
      await fetch(`${fake.url}/model/${model}/invoke`, { method: 'POST', body })
    ).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ content: [{ type: 'text', text: 'from bedrock' }] });
    const res = await fetch(`${fake.url}/model/${model}/invoke-with-response-stream`, {
      method: 'POST',
      body,
    });
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    expect(decodeFrames(Buffer.from(await res.arrayBuffer())).length).toBeGreaterThan(4);
    expect((await fetch(`${fake.url}/inference-profiles?type=SYSTEM_DEFINED`)).status).toBe(404);
    expect(fake.requests.map((r) => [r.route, r.modelId])).toEqual([
      ['invoke', 'arn:aws:bedrock:eu-west-1:1:inference-profile/eu.anthropic.x'],
      ['invoke-stream', 'arn:aws:bedrock:eu-west-1:1:inference-profile/eu.anthropic.x'],
      ['inference-profiles', undefined],
    ]);
    expect(fake.modelRequests().map((r) => r.stream)).toEqual([false, true]);
  });
});

describe('the real claude binary in Bedrock mode', () => {
  it('gets its answer through the fake runtime with SigV4-signed requests for ANTHROPIC_MODEL', async () => {
    fake = await startFakeBedrock({ secretAccessKey: SECRET });
    const tmp = await mkdtemp(join(tmpdir(), 'omni-bedrock-'));
    try {
      let result: SDKResultMessage | undefined;
      const env = {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: tmp,
        TMPDIR: tmp,
        CLAUDE_CODE_USE_BEDROCK: '1',
        ANTHROPIC_BEDROCK_BASE_URL: fake.url,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: SECRET,
        AWS_SESSION_TOKEN: 'offline-session-token',
        ANTHROPIC_MODEL: 'eu.anthropic.claude-sonnet-offline',
        CLAUDE_CONFIG_DIR: join(tmp, 'config'),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_DISABLE_BACKGROUND_TASKS: '1',
        CLAUDE_CODE_MAX_RETRIES: '1',
        API_TIMEOUT_MS: '20000',
      };
      for await (const message of query({ prompt: 'hello bedrock', options: { cwd: tmp, env, tools: [] } })) {
        if (message.type === 'result') result = message;
      }
      expect(result?.is_error).toBe(false);
      expect(result && 'result' in result ? result.result : '').toContain(DEMO_LABEL);

      const turn = fake.requests.filter((r) => r.route === 'invoke-stream');
      expect(turn.map((r) => r.modelId)).toEqual(['eu.anthropic.claude-sonnet-offline']);
      expect(userTexts(turn[0]!.message!)).toEqual(['hello bedrock']);
      for (const request of fake.requests) {
        expect(request.auth).toMatchObject({
          scheme: 'sigv4',
          accessKeyId: ACCESS_KEY_ID,
          region: 'eu-west-1',
          service: 'bedrock',
          signatureValid: true,
        });
        expect(request.securityToken).toBe(true);
        expect(request.headers['authorization']).toBe('AWS4-HMAC-SHA256 [masked]');
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
