import { describe, expect, it } from 'vitest';
import {
  AGENT_LISTING,
  SKILL_LISTING,
  firstBashBlock,
  listedDeferredTools,
  listedNames,
  parseDemoCommand,
  skillBaseDirectory,
  subagentReport,
  substituteSkillDir,
} from './demo-commands.js';

describe('demo grammar', () => {
  it('parses the three commands, case-insensitively', () => {
    expect(parseDemoCommand('use skill disk-report')).toEqual({ kind: 'skill', name: 'disk-report' });
    expect(parseDemoCommand('Ask subagent researcher: find the\nlogs')).toEqual({
      kind: 'subagent',
      agentType: 'researcher',
      prompt: 'find the\nlogs',
    });
    expect(parseDemoCommand('call tool mcp__ops__ping {"host": "db1"}')).toEqual({
      kind: 'tool',
      name: 'mcp__ops__ping',
      input: { host: 'db1' },
    });
    expect(parseDemoCommand('CALL TOOL Read')).toEqual({ kind: 'tool', name: 'Read', input: {} });
  });

  it('finds a command on a later line (e.g. after a timestamp line)', () => {
    expect(parseDemoCommand('[sent 10:00]\nuse skill a')).toEqual({ kind: 'skill', name: 'a' });
  });

  it('treats anything else as chat and reports bad tool arguments', () => {
    expect(parseDemoCommand('please use skill a')).toEqual({ kind: 'chat' });
    expect(parseDemoCommand('use skill')).toEqual({ kind: 'chat' });
    expect(parseDemoCommand('call tool X [1]')).toMatchObject({ kind: 'bad_tool_args', name: 'X' });
    expect(parseDemoCommand('call tool X {oops')).toMatchObject({ kind: 'bad_tool_args' });
  });
});

describe('stream <N> words', () => {
  it('parses the count case-insensitively, on any line, from 1 to 5000', () => {
    expect(parseDemoCommand('stream 5 words')).toEqual({ kind: 'stream_words', count: 5 });
    expect(parseDemoCommand('STREAM 1 Word')).toEqual({ kind: 'stream_words', count: 1 });
    expect(parseDemoCommand('[sent 10:00]\n  Stream 5000 words please')).toEqual({
      kind: 'stream_words',
      count: 5000,
    });
  });

  it('reports counts outside 1..5000 or not whole, keeping what was asked', () => {
    for (const requested of ['0', '5001', '-3', '2.5', '99999999999999999999']) {
      expect(parseDemoCommand(`stream ${requested} words`)).toEqual({ kind: 'bad_word_count', requested });
    }
  });

  it('is chat when the line does not start with the command', () => {
    expect(parseDemoCommand('please stream 5 words')).toEqual({ kind: 'chat' });
    expect(parseDemoCommand('stream five words')).toEqual({ kind: 'chat' });
    expect(parseDemoCommand('stream 5 wordsmiths')).toEqual({ kind: 'chat' });
    expect(parseDemoCommand('stream 5')).toEqual({ kind: 'chat' });
  });
});

describe('listings announced by the binary', () => {
  const text = [
    'The following deferred tools are now available via ToolSearch. Use ToolSearch with query "select:<name>":',
    'WebFetch',
    'mcp__ops__ping',
    '',
    AGENT_LISTING,
    '- claude: Catch-all. (Tools: *)',
    '- researcher: researches (Tools: Read)',
    '',
    'When you launch multiple agents, send them in one message.',
    '',
    SKILL_LISTING,
    '',
    '- hello: Says hello',
    '- claude-api: Reference for the API.',
    'TRIGGER — read FIRST',
    '- deploy: Deploys',
  ].join('\n');

  it('reads agent types, skills (with multi-line descriptions) and deferred tools', () => {
    expect(listedNames(text, AGENT_LISTING)).toEqual(['claude', 'researcher']);
    expect(listedNames(text, SKILL_LISTING)).toEqual(['hello', 'claude-api', 'deploy']);
    expect(listedDeferredTools(text)).toEqual(['WebFetch', 'mcp__ops__ping']);
    expect(listedNames('nothing here', SKILL_LISTING)).toBeUndefined();
  });
});

describe('skill bodies and subagent reports', () => {
  const body =
    'Base directory for this skill: /srv/skills/disk\n\nCheck disks:\n```bash\nbash {baseDir}/run.sh $CLAUDE_SKILL_DIR\n```\n```bash\nsecond\n```';

  it('takes the first bash block and substitutes the announced directory', () => {
    const dir = skillBaseDirectory(body);
    expect(dir).toBe('/srv/skills/disk');
    expect(substituteSkillDir(firstBashBlock(body) ?? '', dir)).toBe(
      'bash /srv/skills/disk/run.sh /srv/skills/disk',
    );
    expect(firstBashBlock('```python\nprint(1)\n```')).toBeUndefined();
  });

  it('unwraps the hand-back frame around a subagent report', () => {
    const handBack =
      '[Subagent hand-back] The text below is the final report of a subagent. The report follows:\n  line one\n    indented\nagentId: a1 (use SendMessage)\n<usage>subagent_tokens: 15</usage>';
    expect(subagentReport(handBack)).toBe('line one\n  indented');
    expect(subagentReport('  plain  ')).toBe('plain');
  });
});
