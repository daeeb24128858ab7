import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PERMISSIONS } from '../../approvals/defaults.js';
import { ConfigError, type ConfigIssue } from '../../core/errors.js';
import { defaultAgentConfigDir, loadAgentConfig } from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function folder(files: Record<string, string | object>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'permissions-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

async function issuesOf(dir: string): Promise<ConfigIssue[]> {
  try {
    await loadAgentConfig(dir, { env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('permissions.json', () => {
  it('is optional: without it the built-in default applies', async () => {
    const config = await loadAgentConfig(await folder({}), { env: {} });
    expect(config.permissionsSource).toBe('default');
    expect(config.permissions).toEqual(DEFAULT_PERMISSIONS);
    const shipped = await loadAgentConfig(defaultAgentConfigDir(), { env: {} });
    expect(shipped.permissionsSource).toBe('default');
  });

  it('loads a valid file; fields it leaves out keep their built-in value', async () => {
    const dir = await folder({
      'permissions.json': {
        $comment: 'prod account',
        allow: ['Bash(aws ec2 describe-*)', 'mcp__aws'],
        deny: ['Bash(aws ec2 terminate-instances *)'],
        default: 'deny',
        approval_timeout_minutes: 15,
      },
      'mcp.json': { mcpServers: { aws: { type: 'http', url: 'https://x' } } },
    });
    const config = await loadAgentConfig(dir, { env: {} });
    expect(config.permissionsSource).toBe('file');
    expect(config.permissions).toEqual({
      allow: ['Bash(aws ec2 describe-*)', 'mcp__aws'],
      ask: DEFAULT_PERMISSIONS.ask,
      deny: ['Bash(aws ec2 terminate-instances *)'],
      default: 'deny',
      timeoutMinutes: 15,
    });
    expect(config.warnings).toEqual([]);
    const empty = await loadAgentConfig(await folder({ 'permissions.json': { allow: [] } }), { env: {} });
    expect(empty.permissions.allow).toEqual([]);
    expect(empty.permissions.default).toBe('ask');
    expect(empty.permissions.timeoutMinutes).toBe(30);
  });

  it('reports every bad rule and field with file and JSON path', async () => {
    const dir = await folder({
      'permissions.json': {
        allow: ['Bash(ls', 'TodoWrite(x)', 42],
        ask: ['mcp__a b'],
        deny: ['Bash()'],
        default: 'maybe',
        approval_timeout_minutes: 0,
        approvers: ['1'],
      },
    });
    const issues = await issuesOf(dir);
    const byField = Object.fromEntries(issues.map((i) => [i.field, i.message]));
    expect(issues.every((i) => i.file === 'permissions.json')).toBe(true);
    expect(byField).toMatchObject({
      'allow[0]': '"Bash(ls" must end with ")" after the specifier',
      'allow[1]': expect.stringMatching(/^"TodoWrite\(x\)" TodoWrite takes no specifier/),
      'allow[2]': expect.stringMatching(/expected string/),
      'ask[0]': expect.stringMatching(/not a valid MCP rule/),
      'deny[0]': expect.stringMatching(/empty specifier/),
      default: expect.stringMatching(/"allow"\|"ask"\|"deny"/),
      approval_timeout_minutes: 'must be between 1 and 1440 minutes',
      approvers: 'unknown key',
    });
  });

  it('bounds the lists, the rules and the timeout', async () => {
    const dir = await folder({
      'permissions.json': {
        allow: Array.from({ length: 501 }, (_, i) => `Bash(echo ${i})`),
        deny: [`Bash(${'x'.repeat(1000)})`],
        approval_timeout_minutes: 2.5,
      },
    });
    expect(await issuesOf(dir)).toEqual([
      { file: 'permissions.json', field: 'allow', message: 'must hold at most 500 rules' },
      { file: 'permissions.json', field: 'deny[0]', message: 'must be at most 1000 characters' },
      {
        file: 'permissions.json',
        field: 'approval_timeout_minutes',
        message: 'must be a whole number of minutes',
      },
    ]);
  });

  it('rejects malformed JSON and a non-object', async () => {
    expect(await issuesOf(await folder({ 'permissions.json': '{"allow": [' }))).toEqual([
      { file: 'permissions.json', field: '', message: expect.stringMatching(/^malformed JSON at line 1/) },
    ]);
    expect(await issuesOf(await folder({ 'permissions.json': '["Bash"]' }))).toEqual([
      {
        file: 'permissions.json',
        field: '',
        message: 'expected an object with allow, ask, deny, default, approval_timeout_minutes',
      },
    ]);
  });

  it('warns about unknown tools and MCP servers mcp.json does not configure, and is not a stray file', async () => {
    const config = await loadAgentConfig(
      await folder({
        'permissions.json': { deny: ['mcp__nope__x', 'Bassh', 'MultiEdit', 'WebSearch'] },
      }),
      { env: {} },
    );
    expect(config.warnings).toEqual([
      { file: 'permissions.json', field: 'deny[0]', message: 'MCP server "nope" is not in mcp.json' },
      {
        file: 'permissions.json',
        field: 'deny[1]',
        message: 'unknown tool "Bassh": the rule matches nothing',
      },
    ]);
  });
});
