import { describe, expect, it } from 'vitest';
import { DEMO_LABEL, demoModel } from './demo-model.js';
import type { ContentBlock, Message, ModelReply, RecordedRequest } from './types.js';

// Fixtures in the shapes the real `claude` 2.1.332 binary sends (see README.md).
const reminder: ContentBlock = {
  type: 'text',
  text: '<system-reminder>\nAttribution for git commits …\n</system-reminder>\n',
};
const environment: Message = {
  role: 'system',
  content: [
    '# Environment\nYou have been invoked in the following environment:\n - Platform: linux',
    'The following deferred tools are now available via ToolSearch. Use ToolSearch with query "select:<name>":\nWebFetch\nmcp__ops__ping',
    'Available agent types for the Agent tool:\n- general-purpose: General agent. (Tools: *)\n- researcher: researches (Tools: Read)',
    'The following skills are available for use with the Skill tool:\n\n- hello: Says hello\n- notes: Notes without commands',
  ].join('\n\n'),
};
const MAIN_TOOLS = ['Agent', 'Bash', 'Read', 'Skill', 'ToolSearch'];

function request(messages: Message[], tools = MAIN_TOOLS, system?: string[]): RecordedRequest {
  const sys = system ?? [
    'x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=sdk-ts;',
    'You are a Claude agent.',
  ];
  return {
    index: 0,
    method: 'POST',
    path: '/v1/messages?beta=true',
    headers: {},
    body: {
      model: 'claude-opus-5-5',
      system: sys.map((text) => ({ type: 'text', text })),
      messages,
      tools: tools.map((name) => ({ name, ...(name.startsWith('mcp__') ? { defer_loading: true } : {}) })),
      stream: true,
    },
    model: 'claude-opus-5-5',
    stream: true,
    bodyChars: 1000,
  };
}

const human = (text: string): Message => ({ role: 'user', content: [reminder, { type: 'text', text }] });
const said = (text: string): Message => ({ role: 'assistant', content: [{ type: 'text', text }] });
const called = (id: string, name: string, input: Record<string, unknown>): Message => ({
  role: 'assistant',
  content: [{ type: 'tool_use', id, name, input }],
});
const result = (id: string, content: unknown, extra: ContentBlock[] = [], isError = false): Message => ({
  role: 'user',
  content: [
    { type: 'tool_result', tool_use_id: id, content, ...(isError ? { is_error: true } : {}) },
    ...extra,
  ],
});

function textOf(reply: ModelReply): string {
  if (reply.kind !== 'text') throw new Error(`expected a text reply, got ${JSON.stringify(reply)}`);
  expect(reply.text.startsWith(DEMO_LABEL)).toBe(true);
  return reply.text;
}

describe('demo model: memory', () => {
  it('says there were no earlier messages on the first one', () => {
    const text = textOf(demoModel(request([human('hello there'), environment])));
    expect(text).toContain('no earlier user messages');
    expect(text).toContain('You said: "hello there"');
  });

  it('counts earlier human messages and quotes the latest verbatim, ignoring injected and tool text', () => {
    const messages = [
      human('first'),
      environment,
      called('t1', 'Skill', { skill: 'notes' }),
      result('t1', 'Launching skill: notes', [
        { type: 'text', text: 'Base directory for this skill: /x\n\nbody' },
      ]),
      said('done'),
      { role: 'user', content: 'second  "quoted"\n line' },
      said('ok'),
      human('third'),
    ];
    const text = textOf(demoModel(request(messages)));
    expect(text).toContain('I was shown 2 earlier user messages.');
    expect(text).toContain('The most recent one was: "second  "quoted"\n line"');
  });

  it('answers a subagent with its task and the first line of its own prompt', () => {
    const system = [
      'x-anthropic-billing-header: cc_version=2.1.332; cc_is_subagent=true;',
      "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
      'You are the researcher subagent.\n\nNotes: …',
    ];
    const text = textOf(demoModel(request([{ role: 'user', content: 'find x' }], ['Read'], system)));
    expect(text).toContain('I received the task "find x"');
    expect(text).toContain('My instructions begin: "You are the researcher subagent."');
  });

  it('answers requests without human text (side requests, probes) plainly', () => {
    expect(textOf(demoModel(request([])))).toContain('not shown any user text');
  });
});

describe('demo model: skills', () => {
  const skillBody = {
    type: 'text',
    text: 'Base directory for this skill: /cwd/.claude/skills/hello\n\nRun:\n```bash\nbash {baseDir}/hi.sh\n```\n',
  };

  it('calls Skill, then Bash with the first bash block, then quotes the output', () => {
    const start = [human('use skill hello'), environment];
    expect(demoModel(request(start))).toMatchObject({
      kind: 'tool_use',
      name: 'Skill',
      input: { skill: 'hello' },
    });

    const loaded = [
      ...start,
      called('t1', 'Skill', { skill: 'hello' }),
      result('t1', 'Launching skill: hello', [skillBody]),
    ];
    expect(demoModel(request(loaded))).toMatchObject({
      kind: 'tool_use',
      name: 'Bash',
      input: { command: 'bash /cwd/.claude/skills/hello/hi.sh' },
    });

    const ran = [
      ...loaded,
      called('t2', 'Bash', { command: 'bash /cwd/.claude/skills/hello/hi.sh' }),
      result('t2', 'hi!'),
    ];
    const text = textOf(demoModel(request(ran)));
    expect(text).toContain('from skill "hello"');
    expect(text).toContain('Output:\nhi!');
  });

  it('quotes a skill without a bash block', () => {
    const body = { type: 'text', text: 'Base directory for this skill: /s\n\nJust notes.' };
    const messages = [
      human('use skill notes'),
      environment,
      called('t1', 'Skill', { skill: 'notes' }),
      result('t1', 'Launching skill: notes', [body]),
    ];
    expect(textOf(demoModel(request(messages)))).toContain('Just notes.');
  });

  it('says so when the skill or the Skill tool is not offered', () => {
    expect(textOf(demoModel(request([human('use skill nope'), environment])))).toContain(
      'Skill "nope" is not offered. Offered skills: hello, notes.',
    );
    expect(textOf(demoModel(request([human('use skill hello'), environment], ['Read'])))).toContain(
      'the Skill tool is not offered',
    );
  });

  it('reports a failed tool', () => {
    const messages = [
      human('use skill hello'),
      environment,
      called('t1', 'Skill', { skill: 'hello' }),
      result('t1', 'Unknown skill: hello', [], true),
    ];
    expect(textOf(demoModel(request(messages)))).toContain('The Skill tool failed: "Unknown skill: hello"');
  });
});

describe('demo model: subagents and tools', () => {
  it('dispatches a listed subagent and quotes its report', () => {
    const start = [human('ask subagent researcher: what is 6*7?'), environment];
    const input = { description: 'Ask researcher', prompt: 'what is 6*7?', subagent_type: 'researcher' };
    expect(demoModel(request(start))).toMatchObject({ kind: 'tool_use', name: 'Agent', input });
    const handBack = 'The report follows:\n  42\nagentId: a1\n<usage>x</usage>';
    const done = [...start, called('t1', 'Agent', input), result('t1', [{ type: 'text', text: handBack }])];
    expect(textOf(demoModel(request(done)))).toContain('Subagent "researcher" answered: "42"');
    expect(textOf(demoModel(request([human('ask subagent ghost: hi'), environment])))).toContain(
      'Subagent "ghost" is not offered',
    );
  });

  it('calls an offered tool directly and quotes its result', () => {
    const start = [human('call tool Read {"file_path": "/etc/hostname"}'), environment];
    expect(demoModel(request(start))).toMatchObject({
      kind: 'tool_use',
      name: 'Read',
      input: { file_path: '/etc/hostname' },
    });
    const done = [...start, called('t1', 'Read', {}), result('t1', 'box-1')];
    expect(textOf(demoModel(request(done)))).toContain('Tool Read returned: "box-1"');
  });

  it('loads a deferred MCP tool through ToolSearch first', () => {
    const start = [human('call tool mcp__ops__ping {"host":"db1"}'), environment];
    expect(demoModel(request(start))).toMatchObject({
      kind: 'tool_use',
      name: 'ToolSearch',
      input: { query: 'select:mcp__ops__ping' },
    });
    const loaded = [
      ...start,
      called('t1', 'ToolSearch', { query: 'select:mcp__ops__ping' }),
      result(
        't1',
        [{ type: 'tool_reference', tool_name: 'mcp__ops__ping' }],
        [{ type: 'text', text: 'Tool loaded.' }],
      ),
    ];
    const tools = [...MAIN_TOOLS, 'mcp__ops__ping'];
    expect(demoModel(request(loaded, tools))).toMatchObject({
      kind: 'tool_use',
      name: 'mcp__ops__ping',
      input: { host: 'db1' },
    });
    const done = [
      ...loaded,
      called('t2', 'mcp__ops__ping', { host: 'db1' }),
      result('t2', [{ type: 'text', text: 'pong' }]),
    ];
    expect(textOf(demoModel(request(done, tools)))).toContain('returned: "pong"');
  });

  it('refuses tools that are not offered', () => {
    const text = textOf(demoModel(request([human('call tool Nuke {}'), environment], ['Read', 'Bash'])));
    expect(text).toContain('Tool "Nuke" is not offered. Offered tools: Read, Bash.');
  });
});

describe('demo model: stream <N> words', () => {
  it('answers word1 … wordN as one delta per word, the label riding with the first', () => {
    const reply = demoModel(request([environment, human('[10:00]\nstream 3 words')]));
    expect(textOf(reply)).toBe(`${DEMO_LABEL} word1 word2 word3`);
    expect(reply).toMatchObject({ deltas: [`${DEMO_LABEL} word1`, ' word2', ' word3'] });
  });

  it('scales to the upper bound', () => {
    const reply = demoModel(request([human('stream 5000 words')]));
    const deltas = reply.kind === 'text' ? (reply.deltas ?? []) : [];
    expect(deltas).toHaveLength(5000);
    expect(deltas.at(-1)).toBe(' word5000');
  });

  it('says the allowed range, without streaming, when the count is outside it', () => {
    const reply = demoModel(request([human('stream 0 words')]));
    expect(textOf(reply)).toContain('I can stream 1 to 5000 words');
    expect(textOf(reply)).toContain('"0"');
    expect(reply).not.toHaveProperty('deltas');
  });
});

describe('demo model: attachments', () => {
  const image = (data = 'iVBORw0='): ContentBlock => ({
    type: 'image',
    source: { type: 'base64', media_type: 'image/png', data },
  });
  const pdf: ContentBlock = {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
  };
  const note = (path: string, name = 'x'): ContentBlock => ({
    type: 'text',
    text: `<attachment name="${name}" kind="text" type="text/plain" size="3" path="${path}"/>`,
  });
  const binaryCopy: ContentBlock = { type: 'text', text: '[Image: source: /tmp/claude-0/s/images/1.png]' };
  const withFiles = (...blocks: ContentBlock[]): Message => ({
    role: 'user',
    content: [reminder, ...blocks],
  });

  it('adds what it was shown, in order: images, PDF documents, then the noted paths', () => {
    const message = withFiles(
      { type: 'text', text: 'what is wrong here?' },
      image(),
      binaryCopy,
      note('/w/files/c/main/f1/a.png', 'a.png'),
      pdf,
      note('/w/files/c/main/f2/runbook.pdf'),
      image(),
      note('/w/files/c/main/f3/b.png'),
      note('/w/files/c/main/f4/app.log'),
    );
    const text = textOf(demoModel(request([message])));
    expect(text).toContain('You said: "what is wrong here?"');
    expect(text.split('\n').at(-1)).toBe(
      'Attachments: 2 images, 1 PDF document; files: /w/files/c/main/f1/a.png, ' +
        '/w/files/c/main/f2/runbook.pdf, /w/files/c/main/f3/b.png, /w/files/c/main/f4/app.log',
    );
  });

  it('answers a message with files and no text, and does not count it as text it was told', () => {
    const text = textOf(demoModel(request([human('earlier'), said('ok'), withFiles(image(), binaryCopy)])));
    expect(text).toContain('I was shown 1 earlier user message. The most recent one was: "earlier"');
    expect(text).toContain('You sent no text.');
    expect(text.split('\n').at(-1)).toBe('Attachments: 1 image');
  });

  it('decodes escaped paths and names only the notes when nothing was shown', () => {
    const text = textOf(demoModel(request([withFiles(note('/w/a &quot;b&quot; &lt;c&gt;&amp;&#xA;.log'))])));
    expect(text.slice(text.indexOf('\nAttachments:') + 1)).toBe(
      'Attachments: no images or documents; files: /w/a "b" <c>&\n.log',
    );
  });

  it('runs a command of a message with files, and still says what it was shown at the end', () => {
    const message = withFiles(
      { type: 'text', text: 'call tool Read {"file_path":"/w/app.log"}' },
      note('/w/app.log'),
    );
    expect(demoModel(request([message]))).toMatchObject({ kind: 'tool_use', name: 'Read' });
    const done = [message, called('t1', 'Read', { file_path: '/w/app.log' }), result('t1', '1\tboom')];
    const text = textOf(demoModel(request(done)));
    expect(text).toContain('Tool Read returned: "1\tboom"');
    expect(text.split('\n').at(-1)).toBe('Attachments: no images or documents; files: /w/app.log');
  });

  it('streams the line as one more delta after `stream <N> words`', () => {
    const reply = demoModel(request([withFiles({ type: 'text', text: 'stream 2 words' }, image())]));
    expect(reply).toMatchObject({ deltas: [`${DEMO_LABEL} word1`, ' word2', '\nAttachments: 1 image'] });
  });

  it('leaves answers to messages without attachments unchanged', () => {
    const text = textOf(demoModel(request([human('hello there')])));
    expect(text).toBe(
      `${DEMO_LABEL} I was shown no earlier user messages — this is the start of the conversation.\nYou said: "hello there"`,
    );
  });
});
