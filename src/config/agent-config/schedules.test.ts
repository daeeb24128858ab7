import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import fc from 'fast-check';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, type ConfigIssue } from '../../core/errors.js';
import { loadAgentConfig } from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const AGENTS = { 'aws-support': { description: 'helps', prompt_file: 'a.md' } };

/** A config folder with one agent (`aws-support`) and the given files. */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'schedules-config-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'agents.json'), JSON.stringify(AGENTS));
  await writeFile(path.join(dir, 'a.md'), 'You help.');
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function issuesOf(files: Record<string, string>): Promise<ConfigIssue[]> {
  try {
    await loadAgentConfig(await folder(files), { env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const VALID = `version: 1
schedules:
  - name: morning-alarms
    cron: "0 9 * * 1-5"
    timezone: Europe/Berlin
    prompt: Summarise last night's CloudWatch alarms.
    target: { chat: -1001234567890, thread: new }
    model: sonnet
    agent: aws-support
  - name: cost-check
    every: 6h
    prompt: Any cost anomaly?
    target: { chat: 42 }
    enabled: false
`;

describe('schedules.yaml', () => {
  it('loads every entry in file order, with defaults', async () => {
    const config = await loadAgentConfig(await folder({ 'schedules.yaml': VALID }), { env: {} });
    expect(config.schedules).toEqual([
      {
        name: 'morning-alarms',
        timing: { type: 'cron', expression: '0 9 * * 1-5' },
        timezone: 'Europe/Berlin',
        prompt: "Summarise last night's CloudWatch alarms.",
        target: { chat: -1001234567890, thread: 'new' },
        model: 'sonnet',
        agent: 'aws-support',
        enabled: true,
      },
      {
        name: 'cost-check',
        timing: { type: 'rate', every: 6, unit: 'hours' },
        timezone: 'UTC',
        prompt: 'Any cost anomaly?',
        target: { chat: 42 },
        enabled: false,
      },
    ]);
  });

  it('is optional: no file, no schedules', async () => {
    const config = await loadAgentConfig(await folder({}), { env: {} });
    expect(config.schedules).toEqual([]);
  });

  it('takes an empty list', async () => {
    const config = await loadAgentConfig(await folder({ 'schedules.yaml': 'version: 1\nschedules: []\n' }), {
      env: {},
    });
    expect(config.schedules).toEqual([]);
  });

  it('reports YAML syntax errors with their line, never the source text', async () => {
    const issues = await issuesOf({
      'schedules.yaml': 'version: 1\nschedules:\n  - name: a\n    cron: [\n  prompt: secret-ish\n',
    });
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.file).toBe('schedules.yaml');
      expect(issue.message).toMatch(/^not valid YAML: .* at line \d+, column \d+$/);
      expect(issue.message).not.toContain('secret-ish');
    }
  });

  it('reports a key written twice as a YAML error', async () => {
    const issues = await issuesOf({ 'schedules.yaml': 'version: 1\nversion: 1\nschedules: []\n' });
    expect(issues).toEqual([
      { file: 'schedules.yaml', field: '', message: expect.stringMatching(/^not valid YAML: .*line 2/) },
    ]);
  });

  it('reports an empty file', async () => {
    expect(await issuesOf({ 'schedules.yaml': '# nothing yet\n' })).toEqual([
      {
        file: 'schedules.yaml',
        field: '',
        message: 'the file is empty: expected `version: 1` and `schedules:` (a list)',
      },
    ]);
  });

  it('reports the wrong version, unknown top-level keys and a non-list', async () => {
    const issues = await issuesOf({ 'schedules.yaml': 'version: 2\nschedule: []\nschedules: {}\n' });
    expect(issues).toEqual(
      expect.arrayContaining([
        { file: 'schedules.yaml', field: 'version', message: 'must be 1' },
        { file: 'schedules.yaml', field: 'schedule', message: 'unknown key' },
        { file: 'schedules.yaml', field: 'schedules', message: 'must be a list of schedules' },
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it("reports each entry's fields by path, every entry in one pass", async () => {
    const issues = await issuesOf({
      'schedules.yaml': `version: 1
schedules:
  - name: ok
    cron: "0 9 * * *"
    prompt: fine
    target: { chat: 1 }
  - name: Bad Name
    cron: "* * * * *"
    prompt: ""
    target: { chat: 1.5, thread: old }
    colour: blue
  - name: both
    cron: "0 9 * * *"
    every: 1h
    prompt: p
    target: { chat: 1 }
  - name: zone
    cron: "0 9 * * *"
    timezone: Mars/Olympus
    prompt: p
    target: { chat: 1 }
  - name: fast
    every: 1m
    prompt: p
    target: { chat: 1 }
`,
    });
    const at = (field: string) => issues.filter((i) => i.field === field).map((i) => i.message);
    expect(issues.every((i) => i.file === 'schedules.yaml')).toBe(true);
    expect(at('schedules[1].name')).toEqual([
      'must be 1–40 characters a-z, 0-9, _ and -, starting with a letter or digit',
    ]);
    expect(at('schedules[1].prompt')).toEqual(['must not be empty']);
    expect(at('schedules[1].target.chat')).toEqual(['must be a Telegram chat id (an integer)']);
    expect(at('schedules[1].target.thread')).toEqual(["must be a topic id (a positive integer) or 'new'"]);
    expect(at('schedules[1].colour')).toEqual(['unknown key']);
    expect(at('schedules[2].cron')).toEqual(['set exactly one of cron and every']);
    expect(at('schedules[3].timezone')).toEqual(['unknown time zone "Mars/Olympus"']);
    expect(at('schedules[4].every')).toEqual(['runs at most every 5 minutes (got every 1 minutes)']);
    expect(issues.some((i) => i.field.startsWith('schedules[0]'))).toBe(false);
  });

  it('reports an entry that is not a mapping', async () => {
    const issues = await issuesOf({ 'schedules.yaml': 'version: 1\nschedules:\n  - morning-alarms\n' });
    expect(issues).toEqual([
      {
        file: 'schedules.yaml',
        field: 'schedules[0]',
        message:
          'must be a schedule: name, cron or every, prompt, target, and optionally timezone, model, agent, enabled',
      },
    ]);
  });

  it('reports a cron expression due more often than every 5 minutes', async () => {
    const issues = await issuesOf({
      'schedules.yaml':
        'version: 1\nschedules:\n  - name: a\n    cron: "*/2 * * * *"\n    prompt: p\n    target: { chat: 1 }\n',
    });
    expect(issues).toEqual([
      {
        file: 'schedules.yaml',
        field: 'schedules[0].cron',
        message:
          'cron expression "*/2 * * * *" is due more often than every 5 minutes (the minimum interval)',
      },
    ]);
  });

  it('reports a name used twice, at the second use', async () => {
    const entry = (name: string) =>
      `  - name: ${name}\n    every: 1h\n    prompt: p\n    target: { chat: 1 }\n`;
    const issues = await issuesOf({
      'schedules.yaml': `version: 1\nschedules:\n${entry('a')}${entry('b')}${entry('a')}`,
    });
    expect(issues).toEqual([
      {
        file: 'schedules.yaml',
        field: 'schedules[2].name',
        message: '"a" is already the name of schedules[0]: names are unique',
      },
    ]);
  });

  it('reports an agent that agents.json does not define', async () => {
    const issues = await issuesOf({
      'schedules.yaml':
        'version: 1\nschedules:\n  - name: a\n    every: 1h\n    prompt: p\n    target: { chat: 1 }\n    agent: aws-suport\n',
    });
    expect(issues).toEqual([
      {
        file: 'schedules.yaml',
        field: 'schedules[0].agent',
        message: '"aws-suport" is not an agent in agents.json (agents: aws-support)',
      },
    ]);
  });

  it('refuses schedules.yml, which would otherwise be ignored', async () => {
    const issues = await issuesOf({ 'schedules.yml': VALID });
    expect(issues).toEqual([
      { file: 'schedules.yml', field: '', message: 'rename it to schedules.yaml: only that name is read' },
    ]);
  });

  it('lists its problems with those of the other files', async () => {
    const issues = await issuesOf({ 'schedules.yaml': 'version: 1\n', 'system_prompt.md': '  ' });
    expect(issues.map((i) => `${i.file} ${i.field}`)).toEqual([
      'system_prompt.md ',
      'schedules.yaml schedules',
    ]);
  });

  it('any document gives schedules or issues naming the file, never another exception', async () => {
    const dir = await folder({});
    const entry = fc.record(
      {
        name: fc.oneof(fc.constantFrom('a', 'a', 'b', 'Bad', ''), fc.string()),
        cron: fc.oneof(fc.constantFrom('0 9 * * *', '*/1 * * * *', '0 9 * *', '61 * * * *'), fc.string()),
        every: fc.oneof(fc.constantFrom('5m', '1m', '2h', '0d', '99999d'), fc.string()),
        timezone: fc.oneof(fc.constantFrom('UTC', 'Europe/Berlin', 'Nowhere/City'), fc.string()),
        prompt: fc.oneof(fc.string(), fc.constant('')),
        target: fc.oneof(
          fc.record({ chat: fc.oneof(fc.integer(), fc.double()), thread: fc.constantFrom('new', 7, -1) }),
          fc.anything(),
        ),
        agent: fc.constantFrom('aws-support', 'nobody'),
        enabled: fc.oneof(fc.boolean(), fc.string()),
      },
      { requiredKeys: [] },
    );
    const doc = fc.oneof(
      fc
        .record({ version: fc.constantFrom(1, 2, '1'), schedules: fc.array(entry, { maxLength: 4 }) })
        .map((d) => stringify(d)),
      fc.anything().map((value) => String(stringify(value) ?? '')),
      fc
        .tuple(fc.nat(VALID.length), fc.string({ maxLength: 8 }))
        .map(([at, junk]) => VALID.slice(0, at) + junk + VALID.slice(at)),
    );
    await fc.assert(
      fc.asyncProperty(doc, async (text) => {
        await writeFile(path.join(dir, 'schedules.yaml'), text);
        try {
          const config = await loadAgentConfig(dir, { env: {} });
          expect(Array.isArray(config.schedules)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          for (const issue of (err as ConfigError).issues) {
            expect(issue.file).toBe('schedules.yaml');
            expect(issue.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 200, seed: 16 },
    );
  });
});
