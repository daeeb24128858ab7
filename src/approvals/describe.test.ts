import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PERMISSIONS } from './defaults.js';
import { describeCall, SUMMARY_MAX_CHARS, SUMMARY_MAX_LINES } from './describe.js';
import { createToolPolicy, type ToolCall } from './policy.js';
import { parseRule, UNSAFE_CHAR_RE } from './rules.js';

const ctx = { cwd: '/work/run', home: '/home/app' };
const bash = (command: string, description?: string): ToolCall => ({
  tool: 'Bash',
  input: description ? { command, description } : { command },
});
const grant = (c: ToolCall) => describeCall(c, ctx).grantRule;
const summary = (c: ToolCall) => describeCall(c, ctx).summary;

describe('describeCall: grant rules', () => {
  it('Bash: up to three leading plain words, then *', () => {
    expect(grant(bash('aws ec2 reboot-instances --instance-ids i-1'))).toBe(
      'Bash(aws ec2 reboot-instances *)',
    );
    expect(grant(bash('kubectl rollout restart deployment/api'))).toBe('Bash(kubectl rollout restart *)');
    expect(grant(bash('systemctl restart nginx'))).toBe('Bash(systemctl restart nginx *)');
    expect(grant(bash('terraform apply -auto-approve'))).toBe('Bash(terraform apply *)');
    expect(grant(bash('git push "origin" main'))).toBe('Bash(git push *)');
  });

  it('Bash: the exact command when a prefix would grant too much', () => {
    expect(grant(bash('rm -rf /tmp/x'))).toBe('Bash(rm -rf /tmp/x)');
    expect(grant(bash('./deploy.sh prod'))).toBe('Bash(./deploy.sh prod)');
    expect(grant(bash('sudo systemctl restart nginx'))).toBe('Bash(sudo systemctl restart nginx)');
    expect(grant(bash('ssh prod-1 sudo reboot'))).toBe('Bash(ssh prod-1 sudo reboot)');
    expect(grant(bash('aws s3 cp a b && rm a'))).toBe('Bash(aws s3 cp a b && rm a)');
    expect(grant(bash('aws ec2 describe-instances > out.json'))).toBe(
      'Bash(aws ec2 describe-instances > out.json)',
    );
    expect(grant(bash('FOO=1 make deploy'))).toBe('Bash(FOO=1 make deploy)');
    expect(grant(bash('echo (*) \\'))).toBe('Bash(echo \\(\\*\\) \\\\\\\\)');
    expect(grant(bash('a\nb'))).toBe('Bash(a; b)');
    expect(grant(bash('   '))).toBe('Bash(true)');
  });

  it('other tools', () => {
    expect(grant({ tool: 'mcp__aws__reboot_instance', input: { id: 'i-1' } })).toBe(
      'mcp__aws__reboot_instance',
    );
    expect(grant({ tool: 'WebFetch', input: { url: 'https://Example.com/a?b' } })).toBe(
      'WebFetch(domain:example.com)',
    );
    expect(grant({ tool: 'WebFetch', input: { url: 'nope' } })).toBe('WebFetch');
    expect(grant({ tool: 'Write', input: { file_path: 'notes/a (1).md' } })).toBe(
      'Edit(/work/run/notes/a \\(1\\).md)',
    );
    expect(grant({ tool: 'Edit', input: { file_path: '/etc/hosts' } })).toBe('Edit(/etc/hosts)');
    expect(grant({ tool: 'Read', input: { file_path: '/var/log/syslog' } })).toBe('Read(/var/log/syslog)');
    expect(grant({ tool: 'Grep', input: { pattern: 'x', path: '/var/log' } })).toBe('Read(/var/log)');
    expect(grant({ tool: 'Task', input: { subagent_type: 'aws-support' } })).toBe('Agent(aws-support)');
    expect(grant({ tool: 'WebSearch', input: { query: 'x' } })).toBe('WebSearch');
  });
});

describe('describeCall: summaries', () => {
  it('Bash: the command, then the model’s description', () => {
    expect(summary(bash('aws ec2 reboot-instances --instance-ids i-1', 'Reboot the web server'))).toBe(
      'aws ec2 reboot-instances --instance-ids i-1\n— Reboot the web server',
    );
  });

  it('MCP: server › tool and key: value lines', () => {
    expect(summary({ tool: 'mcp__aws__reboot', input: { id: 'i-1', opts: { force: true }, n: 2 } })).toBe(
      'aws › reboot\nid: i-1\nopts: {"force":true}\nn: 2',
    );
  });

  it('Write / Edit: path, size and the first lines', () => {
    const content = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].join('\n');
    expect(summary({ tool: 'Write', input: { file_path: 'x.txt', content } })).toBe(
      'Write /work/run/x.txt (13 bytes, 7 lines)\na\nb\nc\nd\ne\n… (2 more lines)',
    );
    expect(summary({ tool: 'Edit', input: { file_path: '/a', old_string: 'x', new_string: 'y' } })).toBe(
      'Edit /a\n- x\n+ y',
    );
    expect(summary({ tool: 'WebFetch', input: { url: 'https://x.io' } })).toBe('Fetch https://x.io');
  });

  it('escapes control characters and bidi overrides, keeps line breaks', () => {
    expect(summary(bash('echo \u202egnp.exe\u0007\ttab'))).toBe('echo \\u202egnp.exe\\u0007  tab');
  });

  it('never exceeds the size limits', () => {
    expect(summary(bash('x\n'.repeat(100))).split('\n')).toHaveLength(SUMMARY_MAX_LINES);
    expect(summary(bash('y'.repeat(5000)))).toHaveLength(SUMMARY_MAX_CHARS);
  });
});

describe('describeCall: properties', () => {
  const policy = createToolPolicy(DEFAULT_PERMISSIONS, { allow: [] }, ctx);
  const word = fc.constantFrom(
    'aws',
    'ec2',
    'reboot-instances',
    '--id',
    'i-1',
    '&&',
    '|',
    ';',
    '>',
    'out',
    '2>&1',
    '$(ls)',
    '`id`',
    '"a b"',
    "'c'",
    '*',
    '\\',
    '(',
    ')',
    '\n',
    '\t',
    'FOO=1',
    'sudo',
    './x.sh',
    '~/y',
    'kubectl',
  );
  const command = fc.oneof(
    fc.array(word, { maxLength: 8 }).map((w) => w.join(' ')),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );
  const call: fc.Arbitrary<ToolCall> = fc.oneof(
    command.map((c) => ({ tool: 'Bash', input: { command: c } })),
    fc.record({
      tool: fc.constantFrom('Read', 'Write', 'Edit', 'MultiEdit', 'Glob', 'Grep', 'LS', 'NotebookEdit'),
      input: fc.record({ file_path: fc.string({ unit: 'binary', maxLength: 40 }) }, { requiredKeys: [] }),
    }),
    fc.record({
      tool: fc.constant('WebFetch'),
      input: fc.record({ url: fc.oneof(fc.webUrl(), fc.string()) }),
    }),
    fc.record({
      tool: fc.constantFrom('mcp__aws__reboot', 'mcp__x-y__z_1', 'TodoWrite', 'Agent', 'Skill'),
      input: fc.dictionary(fc.string(), fc.jsonValue()),
    }),
  );

  it('the grant rule parses and covers the call it came from (unless a deny rule wins)', () => {
    fc.assert(
      fc.property(call, (c) => {
        const { grantRule, summary: text } = describeCall(c, ctx);
        expect(parseRule(grantRule).ok).toBe(true);
        expect(policy.granted(c, [grantRule])).toBe(true);
        expect(text.length).toBeLessThanOrEqual(SUMMARY_MAX_CHARS);
        expect(text.split('\n').length).toBeLessThanOrEqual(SUMMARY_MAX_LINES);
        expect(text.replace(/\n/g, '')).not.toMatch(UNSAFE_CHAR_RE);
      }),
      { numRuns: 500 },
    );
  });
});
