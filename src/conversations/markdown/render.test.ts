import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { TOOL_TEXT_MAX_CHARS } from './folded.js';
import { renderTranscriptMarkdown, type TranscriptForExport } from './render.js';
import { loadFixture, MARKDOWN_TAGS, renderHtml, tagNames } from './testing/html.js';

/**
 * Real entries first: fixtures/ holds one session recorded with the real `claude` binary and the
 * offline model (Bash and Read calls that failed, a successful Bash call, an Agent call with its
 * subagent stream, an image attachment, a /compact), anonymised. Then hand-made hostile entries.
 */
const SESSION = 'b68b5c35-6196-494d-aae8-62d31687606c';
const SUBPATH = 'subagents/agent-a170c9b403c81220d';
const real: TranscriptForExport = {
  sessionId: SESSION,
  transcripts: [
    { subpath: null, entries: loadFixture('real-main.jsonl') },
    { subpath: SUBPATH, entries: loadFixture('real-subagents_agent-a170c9b403c81220d.jsonl') },
  ],
  meta: { tenant: 'default', chat: '-100123', thread: '7', turns: 8, costUsd: 0.832732, createdAt: 0 },
};

/** A section of the document: from the line starting with `start` to the next `### ` or `## ` heading. */
function section(doc: string, start: string): string {
  const at = doc.indexOf(start);
  if (at === -1) throw new Error(`no section ${start}`);
  const next = doc.slice(at + start.length).search(/\n#{2,3} /);
  return next === -1 ? doc.slice(at) : doc.slice(at, at + start.length + next);
}

/** No tag but Markdown's own and our `<details>`/`<summary>`, each `<details>` closed. */
function expectSafeHtml(doc: string): string {
  const html = renderHtml(doc);
  expect([...tagNames(html)].filter((t) => !MARKDOWN_TAGS.has(t))).toEqual([]);
  expect(html.match(/<details>/g)?.length ?? 0).toBe(html.match(/<\/details>/g)?.length ?? 0);
  return html;
}

describe('renderTranscriptMarkdown on a real transcript', () => {
  const doc = renderTranscriptMarkdown(real);

  it('starts with a header of the known facts', () => {
    expect(doc.split('\n\n## Transcript')[0]).toBe(
      [
        `# Conversation ${SESSION}`,
        '',
        `- **Session:** \`${SESSION}\``,
        '- **Tenant:** `default` · **Chat:** `-100123` · **Thread:** `7`',
        '- **Created:** 1970-01-01 00:00:00 UTC',
        '- **Turns:** 8 · **Cost:** $0.8327 · **Model:** `claude-opus-5-5`',
        '- **Subagent streams:** 1',
      ].join('\n'),
    );
  });

  it('shows each user message under its <message_time>, with its text and not the time block', () => {
    const user = section(doc, '### 🧑 User — 2026-11-20 08:30:00 UTC');
    expect(user).toBe(
      '### 🧑 User — 2026-11-20 08:30:00 UTC\n\ncall tool Bash {"command": "echo hello &amp;&amp; ls /nonexistent"}\n',
    );
    expect(doc).not.toContain('message_time');
    expect(doc.match(/### 🧑 User/g)).toHaveLength(9); // 7 prompts, the /compact command, the subagent's task
  });

  it('folds a failed tool call with its input, and its result from the later user entry, marked ❌', () => {
    const bash = section(
      doc,
      '<details><summary>🔧 Bash — echo hello &amp;&amp; ls /nonexistent ❌</summary>',
    );
    expect(bash).toContain('```json\n{\n  "command": "echo hello && ls /nonexistent"\n}\n```');
    expect(bash).toContain("❌ **Error:**\n\n```text\nls in '/nonexistent' was blocked.");
    expect(bash).toContain('</details>');
    expect(doc).toContain('<details><summary>🔧 Read — /nonexistent/file.txt ❌</summary>');
    const ok = section(doc, '<details><summary>🔧 Bash — echo hello; echo world</summary>');
    expect(ok).toContain('**Result:**\n\n```text\nhello\nworld\n```');
    // Tool-result entries are not shown as user messages.
    expect(doc).not.toMatch(/### 🧑 User[^\n]*\n\n[^\n]*tool_result/);
  });

  it('one API message split over entries (text, then the Agent call) is one assistant message', () => {
    const asking = section(doc, '### 🤖 Assistant — 2026-12-02 06:27:58 UTC\n\nAsking subagent');
    expect(asking).toContain('Asking subagent "researcher".\n\n<details><summary>🔧 Agent — Ask researcher');
  });

  it('links the Agent call to the subagent stream it started, rendered in its own section', () => {
    expect(doc).toContain('<details><summary>🔧 Agent — Ask researcher → agent-a170c9b403c81220d</summary>');
    expect(doc).toContain(
      '↳ Ran as subagent stream [agent-a170c9b403c81220d](#subagent-agent-a170c9b403c81220d) (below).',
    );
    const sub = doc.slice(doc.indexOf('## Subagent agent-a170c9b403c81220d'));
    expect(sub).toContain(
      '*researcher · Ask researcher · claude-opus-5-5 · started by tool call toolu\\_offline',
    );
    expect(sub).toContain('### 🧑 User — 2026-12-02 06:27:58 UTC\n\nfind the magic word');
    expect(sub).toContain('[offline demo model] Subagent report: I received the task');
    // GitHub's anchor of that heading is what the link points at.
    expect(renderHtml(doc)).toContain('<h2>Subagent agent-a170c9b403c81220d</h2>');
  });

  it('shows an image as a placeholder and the attachment note as a line, never the base64', () => {
    const user = section(doc, '### 🧑 User — 2026-11-20 08:33:00 UTC');
    expect(user).toContain(
      'what is in this picture?\n\n*\\[image: image/png, 70 B\\]*\n\n📎 **dot.png** (image/png, 70 B) at `/srv/omni/',
    );
    expect(doc).not.toContain('iVBORw0KGgo');
    expect(doc).not.toContain('[Image: source:'); // the binary's own note (an isMeta entry)
  });

  it('marks the compaction, folds its summary, and shows /compact as a command with its output', () => {
    expect(doc).toContain(
      '\n\n— conversation compacted —\n\n<details><summary>📝 Summary the conversation continued from</summary>',
    );
    expect(doc).toContain('Ran `/compact`');
    expect(doc).toContain('<details><summary>💻 Command output</summary>\n\n```text\nCompacted\n```');
    expect(doc).not.toContain('local-command-caveat</'); // the harness caveat (isMeta) is left out
  });

  it('leaves out bookkeeping entries', () => {
    for (const noise of [
      'queue-operation',
      'cost-state',
      'totalCostUSD',
      'atis',
      'prompt_snapshot',
      'Today’s date',
    ]) {
      expect(doc).not.toContain(noise);
    }
  });

  it('renders to safe HTML, the same bytes every time, LF only, ending with one newline', () => {
    expectSafeHtml(doc);
    expect(renderTranscriptMarkdown(real)).toBe(doc);
    expect(doc).not.toContain('\r');
    expect(doc.endsWith('\n')).toBe(true);
    expect(doc.endsWith('\n\n')).toBe(false);
    expect(doc).not.toContain('Exported');
    expect(renderTranscriptMarkdown(real, { now: Date.UTC(2026, 11, 2, 9) })).toContain(
      '- **Exported:** 2026-12-02 09:00:00 UTC',
    );
  });
});

// ---- hand-made entries -------------------------------------------------------------------------

let seq = 0;
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString();

function user(content: unknown, extra: Record<string, unknown> = {}): SessionStoreEntry {
  seq += 1;
  return { type: 'user', uuid: `u${seq}`, timestamp: at(seq), message: { role: 'user', content }, ...extra };
}

function assistant(id: string, content: unknown[], extra: Record<string, unknown> = {}): SessionStoreEntry {
  seq += 1;
  const message = { id, role: 'assistant', model: 'claude-opus-5-5', content };
  return { type: 'assistant', uuid: `a${seq}`, timestamp: at(seq), message, ...extra };
}

function toolUse(id: string, name: string, input: Record<string, unknown>) {
  return { type: 'tool_use', id, name, input };
}

function result(id: string, content: unknown, isError = false): SessionStoreEntry {
  return user([{ type: 'tool_result', tool_use_id: id, content, is_error: isError }]);
}

function render(entries: SessionStoreEntry[], more: TranscriptForExport['transcripts'] = []): string {
  return renderTranscriptMarkdown({ sessionId: 's-1', transcripts: [{ subpath: null, entries }, ...more] });
}

describe('renderTranscriptMarkdown on hostile and unusual entries', () => {
  it('user and assistant text with fences, </details> and <script> cannot break out or run', () => {
    const hostile = 'look:\n```\n</details>\n<script>alert(1)</script>\n~~~\nno closing fence';
    const doc = render([
      user([{ type: 'text', text: hostile }]),
      assistant('m1', [{ type: 'text', text: '</details><script>alert(2)</script> `<b>` ```' }]),
      assistant('m2', [toolUse('t1', 'Bash', { command: 'echo "</summary><script>x</script>"' })]),
      result('t1', '```\n</details>\n<script>alert(3)</script>\n````'),
      assistant('m3', [{ type: 'text', text: 'done' }]),
    ]);
    const html = expectSafeHtml(doc);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;'); // shown as text, inside the code block
    // The unclosed fence is closed where the message ends.
    expect(doc).toContain(
      'look:\n```\n</details>\n<script>alert(1)</script>\n~~~\nno closing fence\n```\n\n###',
    );
    expect(doc).toContain('&lt;/details>&lt;script>alert(2)&lt;/script> `<b>` \\`\\`\\`');
    expect(doc).toContain(
      '<details><summary>🔧 Bash — echo "&lt;/summary&gt;&lt;script&gt;x&lt;/script&gt;"</summary>',
    );
    expect(doc).toContain('`````text\n```\n</details>\n<script>alert(3)</script>\n````\n`````');
    // The answer after the tool call is outside every folded block.
    expect(html).toMatch(/<\/details>\n<h3>🤖 Assistant — [^<]*<\/h3>\n<p>done<\/p>\n$/);
  });

  it('a 1 MB tool result is cut to the limit, saying how much was left out', () => {
    const big = 'x'.repeat(1024 * 1024);
    const doc = render([
      assistant('m1', [toolUse('t1', 'Read', { file_path: '/var/log/big.log' })]),
      result('t1', big),
    ]);
    expect(doc.length).toBeLessThan(TOOL_TEXT_MAX_CHARS + 1000);
    expect(doc).toContain(
      `\`\`\`text\n${'x'.repeat(TOOL_TEXT_MAX_CHARS)}\n\`\`\`\n\n*… (1,044,576 more characters)*`,
    );
  });

  it('a call without a result (interrupted turn) says so; an error result is marked ❌', () => {
    const doc = render([
      user('deploy it'),
      assistant('m1', [
        toolUse('t1', 'Bash', { command: 'make deploy' }),
        toolUse('t2', 'Bash', { command: 'ls' }),
      ]),
      result('t2', [{ type: 'text', text: 'permission denied' }], true),
      user([{ type: 'text', text: '[Request interrupted by user for tool use]' }]),
    ]);
    expect(doc).toContain('<details><summary>🔧 Bash — make deploy ⏳</summary>');
    expect(doc).toContain('⏳ *No result recorded: the turn ended before the tool returned.*');
    expect(doc).toContain('<details><summary>🔧 Bash — ls ❌</summary>');
    expect(doc).toContain('❌ **Error:**\n\n```text\npermission denied\n```');
    expect(doc).toContain('*— interrupted by the user —*');
    expect(doc.match(/### 🧑 User/g)).toHaveLength(1);
  });

  it('images and documents (in messages and in tool results) are one-line placeholders, never base64', () => {
    const data = Buffer.alloc(123 * 1024, 7).toString('base64');
    const doc = render([
      user([
        { type: 'text', text: 'see attached' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data } },
        {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data },
          title: 'runbook',
        },
      ]),
      assistant('m1', [toolUse('t1', 'Read', { file_path: '/tmp/a.png' })]),
      result('t1', [{ type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data } }]),
    ]);
    expect(doc).toContain('*\\[image: image/png, 123 KB\\]*');
    expect(doc).toContain('*\\[document: application/pdf, 123 KB, runbook\\]*');
    expect(doc).toContain('```text\n[image: image/jpeg, 123 KB]\n```');
    expect(doc).not.toContain(data.slice(0, 40));
    expect(doc.length).toBeLessThan(2000);
  });

  it('an empty transcript and a missing one say so', () => {
    expect(render([])).toBe(
      '# Conversation s-1\n\n- **Session:** `s-1`\n\n## Transcript\n\n*No messages.*\n',
    );
    const missing = renderTranscriptMarkdown({
      sessionId: 's-2',
      transcripts: [{ subpath: null, entries: null }],
    });
    expect(missing).toContain('## Transcript\n\n*The history of this stream is missing from the store.*\n');
  });

  it('a subagent stream gets its own section; the call is linked through its result when there is no metadata', () => {
    const doc = render(
      [
        assistant('m1', [
          toolUse('t9', 'Task', {
            description: 'Check disks',
            prompt: 'df -h everywhere',
            subagent_type: 'ops',
          }),
        ]),
        { ...result('t9', [{ type: 'text', text: 'all fine' }]), toolUseResult: { agentId: 'f00d' } },
      ],
      [
        {
          subpath: 'subagents/agent-f00d',
          entries: [
            user('df -h everywhere', { isSidechain: true }),
            assistant('s1', [{ type: 'thinking', thinking: 'Which <hosts>?', signature: 'sig' }], {
              isSidechain: true,
            }),
            assistant('s1', [{ type: 'text', text: 'Disks are fine.' }], { isSidechain: true }),
          ],
        },
      ],
    );
    expect(doc).toContain('<details><summary>🔧 Task — Check disks → agent-f00d</summary>');
    expect(doc).toContain('[agent-f00d](#subagent-agent-f00d)');
    const sub = doc.slice(doc.indexOf('## Subagent agent-f00d'));
    expect(sub).toContain('### 🧑 User — 2026-12-01 10:00:');
    expect(sub).toContain(
      '<details><summary>💭 Thinking</summary>\n\nWhich &lt;hosts>?\n\n</details>\n\nDisks are fine.',
    );
    expect(sub.match(/### 🤖 Assistant/g)).toHaveLength(1);
    expect(doc).toContain('- **Subagent streams:** 1');
    expectSafeHtml(doc);
  });

  it('a slash command with arguments reads as the command; a subagent path is escaped', () => {
    const command =
      '<command-name>/model</command-name>\n<command-message>model</command-message>\n<command-args>sonnet</command-args>';
    const doc = render(
      [
        user(command),
        assistant('m1', [toolUse('t1', 'Agent', { description: 'x' })]),
        { ...result('t1', 'ok'), toolUseResult: { agentId: '<b>x</b>' } },
      ],
      [{ subpath: 'subagents/agent-<b>x</b>', entries: [] }],
    );
    expect(doc).toContain('Ran `/model sonnet`');
    expect(doc).toContain('↳ Ran as subagent stream agent-&lt;b&gt;x&lt;/b&gt; (below).');
    expect(doc).toContain('## Subagent agent-&lt;b&gt;x&lt;/b&gt;\n\n*No messages.*');
    expectSafeHtml(doc);
  });

  it('a merged message (several <message_time> blocks) is one user message per time', () => {
    const doc = render([
      user([
        { type: 'text', text: '<message_time>2026-11-20T08:30:00.000Z</message_time>' },
        { type: 'text', text: 'first' },
        { type: 'text', text: '<message_time>2026-11-20T08:30:05.000Z</message_time>' },
        { type: 'text', text: 'second' },
        {
          type: 'text',
          text: '<attachment name="a&amp;b &lt;1&gt;.log" kind="text" type="text/plain" size="2048" path="/w/f/a.log"/>',
        },
      ]),
    ]);
    expect(doc).toContain(
      '### 🧑 User — 2026-11-20 08:30:00 UTC\n\nfirst\n\n### 🧑 User — 2026-11-20 08:30:05 UTC\n\nsecond',
    );
    expect(doc).toContain('📎 **a&amp;b &lt;1&gt;.log** (text/plain, 2.0 KB) at `/w/f/a.log`');
  });

  it('header facts are escaped; a message by another model and an API error say so; CRLF becomes LF', () => {
    const doc = renderTranscriptMarkdown({
      sessionId: 's-3',
      transcripts: [
        {
          subpath: null,
          entries: [
            user('hello\r\nthere'),
            assistant('m1', [{ type: 'text', text: 'hi' }], {
              message: { id: 'm1', model: 'claude-haiku-9', content: [{ type: 'text', text: 'hi' }] },
            }),
            assistant('m2', [{ type: 'text', text: 'API Error: 529 overloaded' }], {
              error: 'overloaded',
              isApiErrorMessage: true,
            }),
          ],
        },
      ],
      meta: { title: 'Disk <b>full</b> on *prod*', model: 'claude-opus-5-5' },
    });
    expect(doc.startsWith('# Disk &lt;b&gt;full&lt;/b&gt; on \\*prod\\*\n')).toBe(true);
    expect(doc).toContain('hello\nthere');
    expect(doc).not.toContain('\r');
    expect(doc).toMatch(/### 🤖 Assistant · claude-haiku-9 — [^\n]*\n\nhi/);
    expect(doc).toMatch(/### 🤖 Assistant — [^\n]* — ⚠️ API error\n\nAPI Error: 529 overloaded/);
    expectSafeHtml(doc);
  });
});
