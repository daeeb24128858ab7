import { raw } from 'hono/html';
import type { Part } from '../../conversations/markdown/types.js';
import { renderMarkdown } from './markdown.js';
import type { ChatTurn, ToolStep, TurnStep } from './turn-read.js';

/**
 * The chat page's turns as HTML: the same markup the client script builds for a live turn
 * (`client/chat/turn-dom.ts`), so one stylesheet serves both. Model and user text goes through
 * `renderMarkdown` (the only `raw`), everything else through hono/jsx escaping.
 */

/** Markdown a model or a person wrote, rendered safely (`renderMarkdown`). */
export function Markdown(props: { text: string; class?: string }) {
  return <div class={props.class ?? 'md'}>{raw(renderMarkdown(props.text))}</div>;
}

/** One stored turn: the person's message, then the agent's text and tool calls in order. */
export function TurnView(props: { turn: ChatTurn }) {
  const { turn } = props;
  return (
    <article class="turn">
      {turn.user ? (
        <div class="msg user">
          <h2 class="who">You</h2>
          {turn.user.map((part) => (
            <UserPart part={part} />
          ))}
        </div>
      ) : null}
      <div class="msg agent">
        <h2 class="who">Agent</h2>
        {groupSteps(turn.steps).map((group) =>
          Array.isArray(group) ? (
            <ToolList steps={group} />
          ) : (
            <Markdown text={group.text} class="md answer" />
          ),
        )}
        {turn.interrupted ? <p class="turn-note">Stopped.</p> : null}
      </div>
    </article>
  );
}

function UserPart(props: { part: Part }) {
  const { part } = props;
  switch (part.type) {
    case 'text':
      return <Markdown text={part.text} />;
    case 'attachment':
      return (
        <p class="attachment">
          📎 {part.name}
          {part.details.length > 0 ? ` (${part.details.join(', ')})` : ''}
        </p>
      );
    case 'command':
      return (
        <p>
          <code>{part.text}</code>
        </p>
      );
    case 'placeholder':
      return <p class="turn-note">[{part.text}]</p>;
    default:
      return null;
  }
}

/** Consecutive tool calls as one list; each text block on its own. */
function groupSteps(steps: readonly TurnStep[]): Array<ToolStep[] | { text: string }> {
  const groups: Array<ToolStep[] | { text: string }> = [];
  for (const step of steps) {
    const last = groups.at(-1);
    if (step.type === 'text') groups.push({ text: step.text });
    else if (Array.isArray(last)) last.push(step);
    else groups.push([step]);
  }
  return groups;
}

export function ToolList(props: { steps: readonly ToolStep[] }) {
  return (
    <ul class="tools">
      {props.steps.map((step) => (
        <ToolLine step={step} />
      ))}
    </ul>
  );
}

/** `✓ Bash  echo hi` — state, name, input summary as code, the subagent it ran, its own calls below. */
function ToolLine(props: { step: ToolStep }) {
  const { step } = props;
  const state = step.result === undefined ? 'open' : step.result.isError ? 'err' : 'ok';
  const mark = { open: '…', err: '✗', ok: '✓' }[state];
  const said = { open: 'no result', err: 'failed', ok: 'done' }[state];
  return (
    <li class={`tool ${state}`} data-id={step.id}>
      <span class="tool-state" aria-hidden="true">
        {mark}
      </span>
      <span class="visually-hidden">{said}: </span>
      <span class="tool-name">{step.name}</span>
      {step.summary ? <code class="tool-input">{step.summary}</code> : null}
      {step.subagent ? <span class="tool-sub">→ subagent {step.subagent}</span> : null}
      {step.children.length > 0 ? <ToolList steps={step.children} /> : null}
    </li>
  );
}
