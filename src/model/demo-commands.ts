import { isRecord } from './transcript-view.js';

/**
 * The offline demo model's grammar, and the readers of what the `claude` binary announces
 * (skill, agent-type and deferred-tool listings; a skill's body; a subagent's report). Pure text.
 */

export type DemoCommand =
  | { kind: 'skill'; name: string }
  | { kind: 'subagent'; agentType: string; prompt: string }
  | { kind: 'tool'; name: string; input: Record<string, unknown> }
  | { kind: 'bad_tool_args'; name: string; problem: string }
  | { kind: 'stream_words'; count: number }
  | { kind: 'bad_word_count'; requested: string }
  | { kind: 'chat' };

/** Bounds of `stream <N> words` (inclusive). */
export const STREAM_WORDS_MIN = 1;
export const STREAM_WORDS_MAX = 5000;

const SKILL_RE = /^\s*use skill\s+([A-Za-z0-9_.:-]+)/i;
const SUBAGENT_RE = /^\s*ask subagent\s+([A-Za-z0-9_.:-]+)\s*:\s*(\S[\s\S]*)$/i;
const TOOL_RE = /^\s*call tool\s+(\S+)(?:[ \t]+(\S[\s\S]*))?$/i;
const STREAM_RE = /^\s*stream\s+([+-]?\d+(?:\.\d+)?)\s+words?\b/i;

const COMMAND_START =
  /^\s*(?:(?:use skill|ask subagent|call tool)\s|stream\s+[+-]?\d+(?:\.\d+)?\s+words?\b)/i;

/** The first line that starts a command wins (so a prefix line such as a timestamp does not hide it). */
export function parseDemoCommand(text: string): DemoCommand {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => COMMAND_START.test(`${line} `));
  if (start === -1) return { kind: 'chat' };
  const rest = lines.slice(start).join('\n');
  const skill = SKILL_RE.exec(rest);
  if (skill?.[1]) return { kind: 'skill', name: skill[1] };
  const subagent = SUBAGENT_RE.exec(rest);
  if (subagent?.[1] && subagent[2]) {
    return { kind: 'subagent', agentType: subagent[1], prompt: subagent[2].trim() };
  }
  const tool = TOOL_RE.exec(rest);
  if (tool?.[1]) return toolCommand(tool[1], tool[2]);
  const stream = STREAM_RE.exec(rest);
  if (stream?.[1]) return streamCommand(stream[1]);
  return { kind: 'chat' };
}

function streamCommand(requested: string): DemoCommand {
  const count = Number(requested);
  const inRange = Number.isInteger(count) && count >= STREAM_WORDS_MIN && count <= STREAM_WORDS_MAX;
  return inRange ? { kind: 'stream_words', count } : { kind: 'bad_word_count', requested };
}

function toolCommand(name: string, args: string | undefined): DemoCommand {
  if (args === undefined || args.trim() === '') return { kind: 'tool', name, input: {} };
  let input: unknown;
  try {
    input = JSON.parse(args);
  } catch (err) {
    return { kind: 'bad_tool_args', name, problem: `not valid JSON (${(err as Error).message})` };
  }
  if (!isRecord(input)) return { kind: 'bad_tool_args', name, problem: 'arguments must be a JSON object' };
  return { kind: 'tool', name, input };
}

/**
 * The `- name: description` items listed after `header`, up to the first blank line after an item
 * (descriptions may continue on lines that do not start with `- `). `undefined` if no listing.
 */
export function listedNames(text: string, header: string): string[] | undefined {
  const at = text.indexOf(header);
  if (at === -1) return undefined;
  const lines = text
    .slice(at + header.length)
    .split('\n')
    .slice(1);
  const names: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      if (names.length > 0) break;
      continue;
    }
    const item = /^- ([^\s:]+):/.exec(line);
    if (item?.[1]) names.push(item[1]);
  }
  return names;
}

export const SKILL_LISTING = 'The following skills are available for use with the Skill tool:';
export const AGENT_LISTING = 'Available agent types for the Agent tool:';
export const DEFERRED_LISTING = 'The following deferred tools are now available via ToolSearch';

/** Tool names listed one per line after the deferred-tools announcement (until a blank line). */
export function listedDeferredTools(text: string): string[] {
  const at = text.indexOf(DEFERRED_LISTING);
  if (at === -1) return [];
  const lines = text.slice(at).split('\n').slice(1);
  const end = lines.findIndex((l) => l.trim() === '');
  return (end === -1 ? lines : lines.slice(0, end)).map((l) => l.trim());
}

/** The first ```bash (or ```sh / ```shell) block's body, trimmed. */
export function firstBashBlock(markdown: string): string | undefined {
  const match = /```(?:bash|sh|shell)[ \t]*\r?\n([\s\S]*?)```/.exec(markdown);
  const body = match?.[1]?.trim();
  return body ? body : undefined;
}

/** "Base directory for this skill: <dir>" as announced by the binary with a skill's body. */
export function skillBaseDirectory(text: string): string | undefined {
  return /^Base directory for this skill:\s*(.+)$/m.exec(text)?.[1]?.trim();
}

/**
 * Substitute the skill directory placeholders the binary leaves alone (it already expands
 * `${CLAUDE_SKILL_DIR}`; `$CLAUDE_SKILL_DIR` and `{baseDir}` are kept verbatim).
 */
export function substituteSkillDir(command: string, baseDir: string | undefined): string {
  if (baseDir === undefined) return command;
  return command
    .replaceAll('${CLAUDE_SKILL_DIR}', baseDir)
    .replaceAll('$CLAUDE_SKILL_DIR', baseDir)
    .replaceAll('{baseDir}', baseDir);
}

/**
 * The report inside a subagent hand-back: the binary frames it ("… The report follows:"), indents
 * every line by two spaces and appends `agentId: …` and `<usage>`. Falls back to the whole text.
 */
export function subagentReport(text: string): string {
  const marker = 'The report follows:\n';
  const at = text.indexOf(marker);
  if (at === -1) return text.trim();
  const lines: string[] = [];
  for (const line of text.slice(at + marker.length).split('\n')) {
    if (!line.startsWith('  ') && line.trim() !== '') break;
    lines.push(line.slice(2));
  }
  return lines.join('\n').trim();
}
