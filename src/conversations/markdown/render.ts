import type { ConversationExport } from '../../sessions/conversation-view.js';
import { readTranscript } from './entries.js';
import type { Part, ReadTranscript, TranscriptItem } from './types.js';
import { details, literal, renderThinking, renderToolCall, type SubagentLink } from './folded.js';
import { embedMarkdown, inlineCode, plainInline } from './markdown-safety.js';
import { linkSubagents, subagentName } from './subagents.js';

/**
 * One session's stored transcripts as a Markdown document a person can read (issue 17,
 * `sessions export ID --format md`): the conversation in order, tool calls and thinking folded,
 * each subagent stream in its own section. Pure and deterministic: the same input gives the same
 * bytes (LF line endings, a final newline). Transcript content never becomes raw HTML
 * (markdown-safety.ts), so a web console may render the document.
 */

/** Facts for the header, when the caller knows them (the conversation map, usage). */
export interface ExportMeta {
  tenant?: string;
  chat?: string;
  thread?: string;
  title?: string;
  /** Epoch ms. */
  createdAt?: number;
  updatedAt?: number;
  turns?: number;
  costUsd?: number;
  model?: string | null;
}

/**
 * What `exportConversation` returns, plus header facts. Main transcript first (`subpath: null`),
 * then each subagent stream (`subagents/agent-<id>`); `entries: null` is a stream whose history
 * is missing from the store.
 */
export interface TranscriptForExport extends ConversationExport {
  meta?: ExportMeta;
}

export interface RenderOptions {
  /** When the export was made (epoch ms), shown in the header; absent, the output has no current time. */
  now?: number;
}

interface Stream {
  subpath: string | null;
  read: ReadTranscript | null;
}

/** The Markdown document of one session's transcripts. */
export function renderTranscriptMarkdown(input: TranscriptForExport, options: RenderOptions = {}): string {
  const streams: Stream[] = input.transcripts.map((t) => ({
    subpath: t.subpath,
    read: t.entries ? readTranscript(t.entries) : null,
  }));
  const main = streams.filter((s) => s.subpath === null);
  const subagents = streams.filter((s) => s.subpath !== null);
  const model = input.meta?.model ?? firstModel(main);
  const context: RenderContext = { model, links: subagentLinks(streams) };
  const sections = [renderHeader(input, model, subagents.length, options)];
  for (const stream of main) sections.push('## Transcript', ...renderStream(stream, context));
  for (const stream of subagents)
    sections.push(...renderSubagentHeading(stream), ...renderStream(stream, context));
  return `${sections.join('\n\n')}\n`;
}

interface RenderContext {
  /** The session's model, named once in the header; a message by another model says so. */
  model: string | undefined;
  /** Which subagent stream each Agent/Task call started (by tool_use id). */
  links: Map<string, SubagentLink>;
}

function renderHeader(
  input: TranscriptForExport,
  model: string | undefined,
  subagentCount: number,
  options: RenderOptions,
): string {
  const meta = input.meta ?? {};
  const facts = (pairs: Array<[string, string | undefined]>): string | undefined => {
    const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined);
    return shown.length === 0 ? undefined : `- ${shown.map(([k, v]) => `**${k}:** ${v}`).join(' · ')}`;
  };
  const code = (value: string | undefined) => (value === undefined ? undefined : inlineCode(value));
  const lines = [
    facts([['Session', inlineCode(input.sessionId)]]),
    facts([
      ['Tenant', code(meta.tenant)],
      ['Chat', code(meta.chat)],
      ['Thread', code(meta.thread)],
    ]),
    facts([
      ['Created', formatTime(meta.createdAt)],
      ['Updated', formatTime(meta.updatedAt)],
    ]),
    facts([
      ['Turns', meta.turns === undefined ? undefined : String(meta.turns)],
      ['Cost', meta.costUsd === undefined ? undefined : `$${meta.costUsd.toFixed(4)}`],
      ['Model', code(model)],
    ]),
    facts([['Subagent streams', subagentCount > 0 ? String(subagentCount) : undefined]]),
    facts([['Exported', formatTime(options.now)]]),
  ].filter((line): line is string => line !== undefined);
  const title = meta.title?.trim() ? meta.title : `Conversation ${input.sessionId}`;
  return `# ${plainInline(title)}\n\n${lines.join('\n')}`;
}

/** A subagent section's heading (`## Subagent agent-<id>`, the anchor calls link to) and who started it. */
function renderSubagentHeading(stream: Stream): string[] {
  const name = subagentName(stream.subpath ?? '');
  const agent = stream.read?.agent;
  const about = [
    agent?.agentType,
    agent?.description,
    agent?.model,
    agent?.toolUseId === undefined ? undefined : `started by tool call ${agent.toolUseId}`,
  ].filter((part): part is string => part !== undefined && part !== '');
  const heading = `## Subagent ${plainInline(name)}`;
  return about.length === 0 ? [heading] : [heading, `*${about.map(plainInline).join(' · ')}*`];
}

function renderStream(stream: Stream, context: RenderContext): string[] {
  if (!stream.read) return ['*The history of this stream is missing from the store.*'];
  const { items, results } = stream.read;
  if (items.length === 0) return ['*No messages.*'];
  return items.flatMap((item) => renderItem(item, results, context));
}

function renderItem(
  item: TranscriptItem,
  results: ReadTranscript['results'],
  context: RenderContext,
): string[] {
  switch (item.kind) {
    case 'user':
      return [heading('🧑 User', item.time), ...item.parts.map((part) => renderPart(part, results, context))];
    case 'assistant': {
      const other = item.model && item.model !== context.model && item.model !== '<synthetic>';
      const label = `🤖 Assistant${other ? ` · ${plainInline(item.model ?? '')}` : ''}`;
      const title = heading(label, item.time) + (item.error ? ' — ⚠️ API error' : '');
      return [title, ...item.parts.map((part) => renderPart(part, results, context))];
    }
    case 'interrupted':
      return ['*— interrupted by the user —*'];
    case 'compacted':
      return ['— conversation compacted —'];
    case 'compact_summary':
      return [details('📝 Summary the conversation continued from', [literal(item.text, 'text')])];
    case 'command_output':
      return [details('💻 Command output', [literal(item.text, 'text')])];
  }
}

function renderPart(part: Part, results: ReadTranscript['results'], context: RenderContext): string {
  switch (part.type) {
    case 'text':
      return embedMarkdown(part.text);
    case 'placeholder':
      return `*${plainInline(`[${part.text}]`)}*`;
    case 'attachment': {
      const about = part.details.map(plainInline).join(', ');
      const path = part.path === undefined ? '' : ` at ${inlineCode(part.path)}`;
      return `📎 **${plainInline(part.name)}**${about ? ` (${about})` : ''}${path}`;
    }
    case 'command':
      return `Ran ${inlineCode(part.text)}`;
    case 'thinking':
      return renderThinking(part.text, part.redacted);
    case 'tool_use':
      return renderToolCall(part, results.get(part.id), context.links.get(part.id));
  }
}

function heading(label: string, time: string | undefined): string {
  const when = formatTime(time);
  return `### ${label}${when === undefined ? '' : ` — ${when}`}`;
}

/** `2026-11-20 08:30:00 UTC` for an ISO string or epoch ms; `undefined` if absent or unreadable. */
export function formatTime(value: string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function firstModel(streams: readonly Stream[]): string | undefined {
  for (const item of streams.flatMap((s) => s.read?.items ?? [])) {
    if (item.kind === 'assistant' && item.model && item.model !== '<synthetic>') return item.model;
  }
  return undefined;
}

/** Each Agent/Task call's subagent section (`linkSubagents`), with its GitHub anchor when predictable. */
function subagentLinks(streams: readonly Stream[]): Map<string, SubagentLink> {
  const named = streams.flatMap((stream) => {
    if (stream.subpath === null) return [];
    const name = subagentName(stream.subpath);
    // GitHub's anchor of `## Subagent <name>`, when the name keeps it predictable.
    const link: SubagentLink = {
      name,
      anchor: /^[A-Za-z0-9-]+$/.test(name) ? `subagent-${name.toLowerCase()}` : undefined,
    };
    return [{ name, read: stream.read, link }];
  });
  const results = streams.flatMap((stream) => [...(stream.read?.results ?? [])]);
  return new Map([...linkSubagents(named, results)].map(([call, stream]) => [call, stream.link]));
}
