import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAgentConfigDir } from '../config/agent-config/index.js';
import { runConfigCheck } from './config-check.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function check(configDir: string, env: Record<string, string> = {}, enableMcpServers?: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runConfigCheck({
    configDir,
    env,
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    ...(enableMcpServers ? { enableMcpServers } : {}),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('runConfigCheck', () => {
  it('summarises the shipped folder and exits 0', async () => {
    const { code, out, err } = await check(defaultAgentConfigDir());
    expect(code).toBe(0);
    expect(out).toContain('Agent configuration OK:');
    expect(out).toContain(
      '- aws-support (model: sonnet; tools: mcp__aws-knowledge, mcp__aws-documentation, Read)',
    );
    expect(out).toContain('- hello-world: Greets the user');
    expect(out).toContain('MCP servers (0 enabled, 2 disabled):');
    expect(out).toContain('- aws-knowledge (http, disabled): https://knowledge-mcp.global.api.aws');
    expect(out).toContain(
      'permissions: built-in default (no permissions.json); default ask; approval timeout 30 min',
    );
    expect(out).toContain(
      'derived allow (2): Agent, Bash(bash .claude/skills/hello-world/scripts/hello.sh *)',
    );
    expect(out).toMatch(/\n {4}allow \(\d+\): TodoWrite, /);
    expect(out).toContain('Bash(aws <service> describe-*|list-*|get-*) for (acm, ');
    expect(out).toMatch(/\n {4}ask \(\d+\): Bash\(aws secretsmanager get-secret-value \*\),/);
    expect(out).toContain('deny (0): (none)');
    expect(out).toContain('skills: hello-world');
    expect(out.split('\n').every((line) => line.length <= 100 || line.includes('- hello-world'))).toBe(true);
    // Agents referencing disabled servers are worth a warning, not a failure.
    expect(err).toMatch(/^\[config\] 2 warnings in the agent configuration \(not errors\):/);
  });

  it('shows enabled servers in the policy', async () => {
    const { code, out, err } = await check(defaultAgentConfigDir(), {}, ['aws-knowledge']);
    expect(code).toBe(0);
    expect(out).toContain('MCP servers (1 enabled, 1 disabled):');
    expect(out).toContain('derived allow (3): Agent, mcp__aws-knowledge,\n      Bash(bash .claude/skills/');
    expect(err).toContain('"aws-documentation" is disabled');
  });

  it('shows the permissions of a permissions.json', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'config-check-'));
    dirs.push(dir);
    await writeFile(
      path.join(dir, 'permissions.json'),
      JSON.stringify({
        allow: ['Bash(aws ec2 describe-*)'],
        deny: ['Bash(rm *)'],
        approval_timeout_minutes: 5,
      }),
    );
    const { code, out } = await check(dir);
    expect(code).toBe(0);
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('  permissions:'));
    expect(lines[at]).toBe('  permissions: permissions.json; default ask; approval timeout 5 min');
    expect(lines[at + 1]).toBe('    derived allow (0): (none)');
    expect(lines[at + 2]).toBe('    allow (1): Bash(aws ec2 describe-*)');
    expect(lines[at + 3]).toMatch(/^ {4}ask \(18\): Bash\(aws secretsmanager get-secret-value \*\),$/);
    expect(lines).toContain('    deny (1): Bash(rm *)');
    expect(lines).toContain('    skills: (none)');
    expect(lines).toContain('  event routes (0): none (no events.yaml)');
  });

  it('lists the schedules with their next 3 due times in their own time zone', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'config-check-'));
    dirs.push(dir);
    await writeFile(
      path.join(dir, 'schedules.yaml'),
      [
        'version: 1',
        'schedules:',
        '  - name: morning-alarms',
        '    cron: "0 9 * * *"',
        '    timezone: Europe/Berlin',
        '    prompt: Summarise the alarms.',
        '    target: { chat: -1001234567890, thread: new }',
        '    model: sonnet',
        '  - name: cost-check',
        '    every: 6h',
        '    prompt: Any cost anomaly?',
        '    target: { chat: 42, thread: 7 }',
        '  - name: paused-one',
        '    every: 1d',
        '    prompt: p',
        '    target: { chat: 42 }',
        '    enabled: false',
        '',
      ].join('\n'),
    );
    // Friday noon UTC before the spring-forward Sunday: 09:00 Berlin is 08:00 UTC, then 07:00 UTC.
    const out: string[] = [];
    const code = await runConfigCheck({
      configDir: dir,
      env: {},
      out: (s) => out.push(s),
      err: () => undefined,
      now: Date.UTC(2026, 2, 27, 12),
    });
    expect(code).toBe(0);
    const lines = out.join('\n').split('\n');
    const at = lines.indexOf('  schedules (3):');
    expect(lines.slice(at, at + 7)).toEqual([
      '  schedules (3):',
      '    - morning-alarms: cron 0 9 * * * (Europe/Berlin) → chat -1001234567890, new topic; enabled, model sonnet',
      '      next (Europe/Berlin): Sat 2026-03-28 09:00, Sun 2026-03-29 09:00, Mon 2026-03-30 09:00',
      '    - cost-check: every 6 hours → chat 42, topic 7; enabled',
      '      next (UTC): Fri 2026-03-27 18:00, Sat 2026-03-28 00:00, Sat 2026-03-28 06:00',
      '    - paused-one: every 1 day → chat 42; disabled',
      '      never runs (enabled: false)',
    ]);
  });

  it('says when there are no schedules', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'config-check-'));
    dirs.push(dir);
    const { code, out } = await check(dir);
    expect(code).toBe(0);
    expect(out.split('\n')).toContain('  schedules (0): (none)');
  });

  it('a broken schedules.yaml fails with file and field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'config-check-'));
    dirs.push(dir);
    await writeFile(
      path.join(dir, 'schedules.yaml'),
      'version: 1\nschedules:\n  - name: a\n    cron: "0 25 * * *"\n    prompt: p\n    target: { chat: 1 }\n',
    );
    const { code, out, err } = await check(dir);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toBe('[config] 1 problem in the agent configuration:');
    expect(err.split('\n')[1]).toMatch(
      /^ {2}schedules\.yaml → schedules\[0\]\.cron: cron expression "0 25 \* \* \*"/,
    );
  });

  it('lists every problem with file and field, exits 1, no stack trace', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'config-check-'));
    dirs.push(dir);
    await mkdir(path.join(dir, 'skills', 'x'), { recursive: true });
    await writeFile(
      path.join(dir, 'agents.json'),
      JSON.stringify({ a: { description: 'd', prompt_file: '../../etc/passwd' } }),
    );
    await writeFile(path.join(dir, 'mcp.json'), '{"mcpServers": {"s": {"type": "http", "url": "${URL}"}}}');
    await writeFile(path.join(dir, 'skills', 'x', 'SKILL.md'), '---\nname: y\ndescription: d\n---\nbody\n');
    const { code, out, err } = await check(dir);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.split('\n')).toEqual([
      '[config] 3 problems in the agent configuration:',
      '  mcp.json → mcpServers.s.url: environment variable URL is not set',
      '  agents.json → a.prompt_file: "../../etc/passwd" points outside the config folder',
      '  skills/x/SKILL.md → name: must equal the folder name "x", got "y"',
    ]);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('a missing folder is a one-line failure', async () => {
    const { code, err } = await check('/nonexistent/config');
    expect(code).toBe(1);
    expect(err).toMatch(
      /^\[config\] 1 problem in the agent configuration:\n {2}\.: config folder \/nonexistent\/config is not readable \(ENOENT\)$/,
    );
  });

  describe('with OMNICLOUD_TENANTS_FILE', () => {
    async function tenantsFile(text: string): Promise<string> {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'config-check-tenants-'));
      dirs.push(dir);
      await mkdir(path.join(dir, 'acme'));
      await mkdir(path.join(dir, 'globex'));
      await writeFile(path.join(dir, 'tenants.yaml'), text);
      return path.join(dir, 'tenants.yaml');
    }

    it("prints each tenant's files policy (and the default where none is set)", async () => {
      const file = await tenantsFile(
        [
          'version: 1',
          'tenants:',
          '  acme:',
          '    configDir: ./acme',
          '    api: { tokens: [{ env: ACME_API_TOKEN }] }',
          '    budgets: { user: { dayUsd: 5 } }',
          '    models: { fast: haiku, deep: "us.anthropic.claude-opus-4-1-20250805-v1:0" }',
          '    files: { maxMb: 10, allow: [image, pdf, text] }',
          '  globex:',
          '    configDir: ./globex',
          '    telegram: { botToken: { env: GLOBEX_BOT_TOKEN } }',
          '',
        ].join('\n'),
      );
      const { code, out } = await check(defaultAgentConfigDir(), { OMNICLOUD_TENANTS_FILE: file });
      expect(code).toBe(0);
      const lines = out.split('\n');
      expect(lines).toContain(`Tenants file OK: ${file}`);
      expect(lines).toContain('  tenants (2):');
      expect(lines).toContain('      model: default; budgets: per user $5/day');
      expect(lines).toContain(
        '      /model choices: fast = haiku, deep = us.anthropic.claude-opus-4-1-20250805-v1:0',
      );
      expect(lines).toContain('      /model choices: haiku, sonnet, opus (default)');
      expect(lines).toContain('      files: image, pdf, text up to 10 MB');
      expect(lines).toContain('      files: every kind up to 20 MB (default)');
      expect(lines.indexOf('      files: image, pdf, text up to 10 MB')).toBeLessThan(
        lines.findIndex((l) => l.startsWith('    - globex: Telegram; config ')),
      );
    });

    it('reports a bad files entry by field and exits 1', async () => {
      const file = await tenantsFile(
        'version: 1\ntenants:\n  acme:\n    configDir: ./acme\n    files: { maxMb: 80, allow: [exe] }\n',
      );
      const { code, err } = await check(defaultAgentConfigDir(), { OMNICLOUD_TENANTS_FILE: file });
      expect(code).toBe(1);
      expect(err).toContain('tenants.acme.files.maxMb: must be ≤ 50');
      expect(err).toContain('tenants.acme.files.allow[0]: must be one of image, pdf, text, other');
    });
  });
});
