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
    expect(out).toContain('allowedTools: Agent, Bash(bash .claude/skills/hello-world/scripts/hello.sh *)');
    expect(out).toContain('skills: hello-world');
    // Agents referencing disabled servers are worth a warning, not a failure.
    expect(err).toMatch(/^\[config\] 2 warnings in the agent configuration \(not errors\):/);
  });

  it('shows enabled servers in the policy', async () => {
    const { code, out, err } = await check(defaultAgentConfigDir(), {}, ['aws-knowledge']);
    expect(code).toBe(0);
    expect(out).toContain('MCP servers (1 enabled, 1 disabled):');
    expect(out).toContain('allowedTools: Agent, mcp__aws-knowledge, Bash(');
    expect(err).toContain('"aws-documentation" is disabled');
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
});
