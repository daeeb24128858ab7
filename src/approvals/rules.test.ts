import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRule, mcpName, parseRule, UNSAFE_CHAR_RE, type PermissionRule } from './rules.js';

const ok = (text: string) => {
  const parsed = parseRule(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
  return parsed.rule;
};
const error = (text: string) => {
  const parsed = parseRule(text);
  if (parsed.ok) throw new Error(`${text} parsed`);
  return parsed.error;
};

describe('parseRule', () => {
  it('reads the forms of Claude Code rules', () => {
    expect(ok('Bash')).toEqual({ tool: 'Bash' });
    expect(ok('Bash(*)')).toEqual({ tool: 'Bash' });
    expect(ok('Bash(npm run *)')).toEqual({ tool: 'Bash', specifier: 'npm run *' });
    expect(ok('Bash(npm run:*)')).toEqual({ tool: 'Bash', specifier: 'npm run:*' });
    expect(ok('Read(/var/log/**)')).toEqual({ tool: 'Read', specifier: '/var/log/**' });
    expect(ok('Edit(./src/**)')).toEqual({ tool: 'Edit', specifier: './src/**' });
    expect(ok('Read(~/.aws/**)')).toEqual({ tool: 'Read', specifier: '~/.aws/**' });
    expect(ok('WebFetch(domain:example.com)')).toEqual({ tool: 'WebFetch', specifier: 'domain:example.com' });
    expect(ok('Agent(aws-support)')).toEqual({ tool: 'Agent', specifier: 'aws-support' });
    expect(ok('mcp__aws-knowledge')).toEqual({ tool: 'mcp__aws-knowledge' });
    expect(ok('mcp__aws__describe_instances')).toEqual({ tool: 'mcp__aws__describe_instances' });
    expect(ok('mcp__aws__*')).toEqual({ tool: 'mcp__aws__*' });
    expect(ok('TodoWrite')).toEqual({ tool: 'TodoWrite' });
  });

  it('unescapes parentheses and keeps balanced ones', () => {
    expect(ok('Bash(echo \\(hi\\))')).toEqual({ tool: 'Bash', specifier: 'echo (hi)' });
    expect(ok('Bash(python -c print(1))')).toEqual({ tool: 'Bash', specifier: 'python -c print(1)' });
    expect(ok('Bash(echo \\*)')).toEqual({ tool: 'Bash', specifier: 'echo \\*' });
  });

  it('says what is wrong', () => {
    expect(error('')).toBe('is empty');
    expect(error(' Bash')).toBe('has leading or trailing whitespace');
    expect(error('Bash(ls')).toBe('must end with ")" after the specifier');
    expect(error('Bash(ls))')).toMatch(/unbalanced "\)"/);
    expect(error('Bash((ls)')).toMatch(/unbalanced "\("/);
    expect(error('Bash)')).toBe('has ")" without "("');
    expect(error('(ls)')).toBe('has no tool name before "("');
    expect(error('Bash()')).toMatch(/empty specifier/);
    expect(error('Bash(  )')).toMatch(/empty specifier/);
    expect(error('Ba sh')).toMatch(/not a tool name/);
    expect(error('Bash-x(ls)')).toMatch(/not a tool name/);
    expect(error('TodoWrite(x)')).toMatch(/^TodoWrite takes no specifier/);
    expect(error('mcp__aws(x)')).toMatch(/^mcp__aws takes no specifier/);
    expect(error('mcp__')).toMatch(/not a valid MCP rule/);
    expect(error('mcp__a b')).toMatch(/not a valid MCP rule/);
    expect(error('WebFetch(example.com)')).toMatch(/domain:<host>/);
    expect(error('Bash(ls\n)')).toMatch(/control character \(U\+000A\)/);
    expect(error('Bash(ls \u202e)')).toMatch(/U\+202E/);
  });
});

describe('mcpName', () => {
  it('splits server and tool', () => {
    expect(mcpName('mcp__aws')).toEqual({ server: 'aws', tool: undefined });
    expect(mcpName('mcp__aws__*')).toEqual({ server: 'aws', tool: undefined });
    expect(mcpName('mcp__my_server__do_it')).toEqual({ server: 'my_server', tool: 'do_it' });
    expect(mcpName('Bash')).toBeUndefined();
  });
});

const specifierTools = ['Bash', 'Read', 'Edit', 'Write', 'Glob', 'Grep', 'Agent', 'Skill'];
const safeChar = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 1 })
  .filter((c) => !UNSAFE_CHAR_RE.test(c));
const specifier = fc
  .array(fc.oneof(safeChar, fc.constantFrom('(', ')', '\\', '*', ' ')), { minLength: 1, maxLength: 40 })
  .map((cs) => cs.join(''))
  .filter((s) => s.trim() !== '' && s !== '*');

describe('parseRule properties', () => {
  it('round-trips: parseRule(formatRule(r)) is r', () => {
    const rule: fc.Arbitrary<PermissionRule> = fc.oneof(
      fc.record({ tool: fc.constantFrom(...specifierTools), specifier }),
      fc.record({ tool: fc.constantFrom('Bash', 'TodoWrite', 'mcp__aws', 'mcp__aws__x', 'mcp__aws__*') }),
    );
    fc.assert(
      fc.property(rule, (r) => {
        expect(parseRule(formatRule(r))).toEqual({ ok: true, rule: r });
      }),
    );
  });

  it('never throws, and a parsed rule formats to a rule that parses the same', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bash(${s})`),
        ),
        (text) => {
          const parsed = parseRule(text);
          if (parsed.ok) expect(parseRule(formatRule(parsed.rule))).toEqual(parsed);
          else expect(parsed.error).toMatch(/\S/);
        },
      ),
    );
  });
});
