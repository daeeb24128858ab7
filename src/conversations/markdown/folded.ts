import { summarizeInput } from '../../agent/events.js';
import type { ToolResult } from './types.js';
import {
  embedMarkdown,
  escapeHtml,
  fencedBlock,
  groupDigits,
  plainInline,
  truncate,
} from './markdown-safety.js';

/**
 * The folded blocks of a transcript: a tool call with its result, a thinking block, the
 * compaction summary. Each is `<details>` whose `<summary>` line is the only raw HTML, its text
 * escaped; the body is Markdown set apart by blank lines (so renderers parse it), content fenced.
 */

/** Longest one-line summary of a tool call's input in its `<summary>`. */
export const TOOL_SUMMARY_MAX_CHARS = 120;
/** Longest tool input or result shown; the rest is counted, not shown (a log can be megabytes). */
export const TOOL_TEXT_MAX_CHARS = 4000;

/** A `<details>` block: the summary line (plain text, escaped here) and Markdown body sections. */
export function details(summary: string, body: readonly string[]): string {
  const line = escapeHtml(summary.replace(/\s+/g, ' ').trim());
  return [`<details><summary>${line}</summary>`, ...body, '</details>'].join('\n\n');
}

/** Content as a literal fenced block, cut to `TOOL_TEXT_MAX_CHARS` with a line saying how much is left out. */
export function literal(content: string, info: string): string {
  const cut = truncate(content, TOOL_TEXT_MAX_CHARS);
  const block = fencedBlock(cut.text, info);
  return cut.omitted === 0 ? block : `${block}\n\n*… (${groupDigits(cut.omitted)} more characters)*`;
}

export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** Which subagent stream a call started: its name and, when it can be linked, its heading's anchor. */
export interface SubagentLink {
  name: string;
  anchor: string | undefined;
}

/**
 * A tool call folded: `🔧 Bash — <input summary>` (❌ when it failed, ⏳ when no result was
 * recorded), the input as JSON, the subagent stream it started, and its result.
 */
export function renderToolCall(
  call: ToolCall,
  result: ToolResult | undefined,
  subagent: SubagentLink | undefined,
): string {
  const summary = truncate(summarizeInput(call.name, call.input), TOOL_SUMMARY_MAX_CHARS - 1);
  const status = result === undefined ? ' ⏳' : result.isError ? ' ❌' : '';
  const target = subagent ? ` → ${subagent.name}` : '';
  const what = summary.text === '' ? '' : ` — ${summary.text}${summary.omitted > 0 ? '…' : ''}`;
  const body = [literal(JSON.stringify(call.input, null, 2), 'json')];
  if (subagent) {
    const name = subagent.anchor ? `[${subagent.name}](#${subagent.anchor})` : plainInline(subagent.name);
    body.push(`↳ Ran as subagent stream ${name} (below).`);
  }
  if (result === undefined) {
    body.push('⏳ *No result recorded: the turn ended before the tool returned.*');
  } else {
    body.push(result.isError ? '❌ **Error:**' : '**Result:**', literal(result.text, 'text'));
  }
  return details(`🔧 ${call.name}${what}${status}${target}`, body);
}

/** A thinking block folded, its text as Markdown; a redacted or empty one as a single line. */
export function renderThinking(text: string, redacted: boolean): string {
  if (redacted) return '*💭 Thinking (redacted)*';
  if (text.trim() === '') return '*💭 Thinking (empty)*';
  return details('💭 Thinking', [embedMarkdown(text)]);
}
