import { summarizeInput } from '../../agent/events.js';
import { formatTime, TOOL_TEXT_MAX_CHARS } from '../../conversations/markdown/index.js';
import type { Part, ReadTranscript, TranscriptItem } from '../../conversations/markdown/types.js';
import type { ConversationExport } from '../../sessions/conversation-view.js';
import { renderMarkdown } from './markdown.js';
import {
  buildTranscriptModel,
  type SubagentStream,
  type Tokens,
  type TranscriptModel,
} from './transcript-model.js';
import { inertText } from './untrusted.js';

/**
 * A session's transcript as readable HTML (hono/jsx): turns with their time, tokens and cost; user
 * and assistant messages as Markdown (`renderMarkdown`); tool calls folded in `<details>` (input,
 * result, and the subagent stream the call started, itself folded). Every other piece of stored
 * text goes through `inertText` and hono/jsx escaping: nothing in a transcript becomes markup.
 */

/** Longest one-line summary of a tool call in its `<summary>`. */
const SUMMARY_MAX_CHARS = 120;

const num = new Intl.NumberFormat('en-US');

export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;
}

function When(props: { time: string | number | undefined }) {
  const text = formatTime(props.time);
  if (text === undefined || props.time === undefined) return null;
  return <time datetime={new Date(props.time).toISOString()}>{text}</time>;
}

function Markdown(props: { text: string }) {
  return <div class="md" dangerouslySetInnerHTML={{ __html: renderMarkdown(props.text) }} />;
}

/** Tool input or output as preformatted text, cut to `TOOL_TEXT_MAX_CHARS` (the export has it all). */
function Literal(props: { text: string; label: string }) {
  const omitted = props.text.length - TOOL_TEXT_MAX_CHARS;
  return (
    <pre class="literal" aria-label={props.label}>
      {inertText(omitted > 0 ? props.text.slice(0, TOOL_TEXT_MAX_CHARS) : props.text)}
      {omitted > 0 ? `\n… ${num.format(omitted)} more characters (export the session for all of it)` : ''}
    </pre>
  );
}

interface Context {
  model: TranscriptModel;
  /** Subagent streams already shown (a stream is shown once, under the first call naming it). */
  shown: Set<SubagentStream>;
}

function ToolCall(props: { part: Extract<Part, { type: 'tool_use' }>; read: ReadTranscript; ctx: Context }) {
  const { part, read, ctx } = props;
  const result = read.results.get(part.id);
  const line = inertText(summarizeInput(part.name, part.input));
  const summary = line.length > SUMMARY_MAX_CHARS ? `${line.slice(0, SUMMARY_MAX_CHARS - 1)}…` : line;
  const status = result === undefined ? 'no result' : result.isError ? 'failed' : undefined;
  const stream = ctx.model.subagentsByCall.get(part.id);
  const showStream = stream !== undefined && !ctx.shown.has(stream);
  if (stream) ctx.shown.add(stream);
  return (
    <details class={`tool${result?.isError ? ' failed' : ''}`}>
      <summary>
        <span class="tool-name">{inertText(part.name)}</span>
        {summary ? ` · ${summary}` : ''}
        {status ? <span class="status"> ({status})</span> : null}
      </summary>
      <div class="tool-body">
        <p class="label">Input</p>
        <Literal text={JSON.stringify(part.input, null, 2)} label="Tool input" />
        {stream && showStream ? <Subagent stream={stream} ctx={ctx} /> : null}
        {result === undefined ? (
          <p class="label">No result was recorded: the turn ended before the tool returned.</p>
        ) : (
          <>
            <p class="label">{result.isError ? 'Error' : 'Result'}</p>
            <Literal text={result.text} label={result.isError ? 'Tool error' : 'Tool result'} />
          </>
        )}
      </div>
    </details>
  );
}

function Subagent(props: { stream: SubagentStream; ctx: Context }) {
  const { stream, ctx } = props;
  const agent = stream.read?.agent;
  const about = [agent?.agentType, agent?.description].filter((s): s is string => !!s).map(inertText);
  return (
    <details class="subagent">
      <summary>
        Subagent {inertText(stream.name)}
        {about.length > 0 ? ` · ${about.join(' · ')}` : ''}
      </summary>
      <div class="subagent-body">
        {stream.read ? (
          <Items read={stream.read} ctx={ctx} />
        ) : (
          <p>The history of this stream is missing from the store.</p>
        )}
      </div>
    </details>
  );
}

function PartView(props: { part: Part; read: ReadTranscript; ctx: Context }) {
  const { part } = props;
  switch (part.type) {
    case 'text':
      return <Markdown text={part.text} />;
    case 'placeholder':
      return <p class="placeholder">[{inertText(part.text)}]</p>;
    case 'attachment':
      return (
        <p class="attachment">
          Attached <strong>{inertText(part.name)}</strong>
          {part.details.length > 0 ? ` (${part.details.map(inertText).join(', ')})` : ''}
          {part.path !== undefined ? (
            <>
              {' at '}
              <code>{inertText(part.path)}</code>
            </>
          ) : null}
        </p>
      );
    case 'command':
      return (
        <p class="command">
          Ran <code>{inertText(part.text)}</code>
        </p>
      );
    case 'thinking':
      if (part.redacted || part.text.trim() === '')
        return <p class="placeholder">Thinking ({part.redacted ? 'redacted' : 'empty'})</p>;
      return (
        <details class="thinking">
          <summary>Thinking</summary>
          <Markdown text={part.text} />
        </details>
      );
    case 'tool_use':
      return <ToolCall part={part} read={props.read} ctx={props.ctx} />;
  }
}

function Item(props: { item: TranscriptItem; read: ReadTranscript; ctx: Context }) {
  const { item, read, ctx } = props;
  switch (item.kind) {
    case 'user':
    case 'assistant':
      return (
        <article class={`msg ${item.kind}`}>
          <header>
            <span class="who">{item.kind === 'user' ? 'User' : 'Assistant'}</span>
            {item.kind === 'assistant' && item.error ? <span class="status"> (API error)</span> : null}{' '}
            <When time={item.time} />
          </header>
          {item.parts.map((part) => (
            <PartView part={part} read={read} ctx={ctx} />
          ))}
        </article>
      );
    case 'interrupted':
      return <p class="event">Interrupted by the user.</p>;
    case 'compacted':
      return <p class="event">Conversation compacted.</p>;
    case 'compact_summary':
    case 'command_output':
      return (
        <details class="event">
          <summary>
            {item.kind === 'compact_summary' ? 'Summary the conversation continued from' : 'Command output'}
          </summary>
          <Literal text={item.text} label={item.kind === 'compact_summary' ? 'summary' : 'command output'} />
        </details>
      );
  }
}

function Items(props: { read: ReadTranscript; ctx: Context }) {
  if (props.read.items.length === 0) return <p class="event">No messages.</p>;
  return (
    <>
      {props.read.items.map((item) => (
        <Item item={item} read={props.read} ctx={props.ctx} />
      ))}
    </>
  );
}

function tokenLine(t: Tokens): string {
  const parts = [`${num.format(t.input)} in`, `${num.format(t.output)} out`];
  if (t.cacheRead > 0) parts.push(`${num.format(t.cacheRead)} cache read`);
  if (t.cacheCreation > 0) parts.push(`${num.format(t.cacheCreation)} cache write`);
  return `${parts.join(' · ')} tokens`;
}

/** The transcript of one session (main stream in turns, subagents folded under their calls). */
export function TranscriptView(props: {
  exported: Pick<ConversationExport, 'transcripts'>;
  costUsd?: number;
}) {
  const model = buildTranscriptModel(props.exported, props.costUsd);
  const ctx: Context = { model, shown: new Set() };
  if (model.turns === null) {
    return <p class="event">The history of this session is missing from the store.</p>;
  }
  return (
    <div class="transcript">
      {model.turns.length === 0 ? <p class="event">No messages.</p> : null}
      {model.turns.map((turn, i) => (
        <section class="turn" aria-label={`Turn ${i + 1}`}>
          <h2 class="turn-head">
            Turn {i + 1}
            <span class="turn-facts">
              {' · '}
              {tokenLine(turn.tokens)}
              {turn.costUsd !== undefined ? ` · ${formatUsd(turn.costUsd)}` : ''}
            </span>
          </h2>
          <Items read={turn.read} ctx={ctx} />
        </section>
      ))}
      {model.unlinked.filter((s) => !ctx.shown.has(s)).length > 0 ? (
        <section class="turn" aria-label="Other subagent streams">
          <h2 class="turn-head">Subagent streams no call names</h2>
          {model.unlinked.map((stream) => (
            <Subagent stream={stream} ctx={ctx} />
          ))}
        </section>
      ) : null}
    </div>
  );
}
