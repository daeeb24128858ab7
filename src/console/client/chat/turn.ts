import { el, inert } from './dom.js';
import { errorMessage, formatSize, readResult, type TurnResultView } from './result.js';
import { readSse } from './sse.js';
import { ToolLines, type ToolStart } from './tools.js';

/** The agent's part of a live turn: tool lines, the streamed answer (a polite live region), facts. */
export interface AgentBlock {
  root: HTMLElement;
  tools: ToolLines;
  answer: HTMLElement;
  after: HTMLElement;
}

/** How a streamed turn ended. */
export type TurnOutcome =
  | { kind: 'result'; result: TurnResultView }
  /** The API refused the request before any turn ran (a 4xx/5xx JSON error, e.g. a file the tenant refuses). */
  | { kind: 'refused'; message: string }
  /** The turn failed (`error` event). */
  | { kind: 'error'; message: string }
  /** The connection ended before the result: the turn still completes on the server. */
  | { kind: 'dropped' };

/** A person's message as the page shows it at once (plain text; the stored turn renders markdown). */
export function userBlock(text: string, files: readonly File[]): HTMLElement {
  const block = el('div', { class: 'msg user' }, el('h2', { class: 'who' }, 'You'));
  block.append(el('div', { class: 'md plain' }, text));
  for (const file of files)
    block.append(el('p', { class: 'attachment' }, `📎 ${file.name} (${formatSize(file.size)})`));
  return block;
}

export function agentBlock(): AgentBlock {
  const list = el('ul', { class: 'tools' });
  const answer = el('div', { class: 'md answer plain live', 'aria-live': 'polite' });
  const after = el('div', { class: 'turn-after' });
  const root = el(
    'div',
    { class: 'msg agent', 'aria-busy': 'false' },
    el('h2', { class: 'who' }, 'Agent'),
    list,
    answer,
    after,
  );
  return { root, tools: new ToolLines(list), answer, after };
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function parse(data: string): Record<string, unknown> {
  try {
    return obj(JSON.parse(data) as unknown);
  } catch {
    return {};
  }
}

/**
 * Shows a turn's answer as it streams: `text` deltas appended as text, tool events as lines,
 * `turn_started` reported (the Stop button names the turn); ends on `result` or `error`.
 */
export async function streamTurn(
  response: Response,
  block: AgentBlock,
  onTurnStarted: (turn: number) => void,
): Promise<TurnOutcome> {
  if (!response.ok || !response.body) {
    const json = await response.json().catch(() => undefined);
    return { kind: 'refused', message: errorMessage(json, `the API answered ${response.status}`) };
  }
  try {
    for await (const { event, data } of readSse(response.body)) {
      const d = parse(data);
      switch (event) {
        case 'turn_started':
          if (typeof d['turn'] === 'number') onTurnStarted(d['turn']);
          break;
        case 'text':
          if (typeof d['delta'] === 'string') block.answer.append(inert(d['delta']));
          break;
        case 'tool_start':
          block.tools.start(toolStart(d));
          break;
        case 'tool_progress':
          block.tools.progress(String(d['id']), typeof d['elapsedS'] === 'number' ? d['elapsedS'] : 0);
          break;
        case 'tool_end':
          block.tools.end(String(d['id']), d['isError'] === true);
          break;
        case 'result':
          return { kind: 'result', result: readResult(d) };
        case 'error':
          return { kind: 'error', message: errorMessage(d, 'the turn failed') };
      }
    }
  } catch {
    // The connection dropped (network, server restart): reported below like an early end.
  }
  return { kind: 'dropped' };
}

function toolStart(d: Record<string, unknown>): ToolStart {
  return {
    id: String(d['id']),
    name: typeof d['name'] === 'string' ? d['name'] : 'tool',
    summary: typeof d['summary'] === 'string' ? d['summary'] : '',
    parentId: typeof d['parentId'] === 'string' ? d['parentId'] : null,
    ...(typeof d['subagent'] === 'string' ? { subagent: d['subagent'] } : {}),
  };
}

/**
 * The turn's end: the streamed text replaced by the final answer rendered on the server (the
 * `/answer` fragment: markdown through the console's one safe renderer), the cost and duration,
 * download links for the files the agent sent, and "Stopped." or the error when it says so.
 */
export async function showResult(
  block: AgentBlock,
  result: TurnResultView,
  answerPath: string,
): Promise<void> {
  block.tools.finish();
  const stopped = result.error_code === 'turn_stopped';
  if (!result.is_error) await swapInAnswer(block.answer, answerPath);
  else if (block.answer.textContent === '' && result.response)
    block.answer.textContent = inert(result.response);
  if (stopped) block.after.append(el('p', { class: 'turn-note' }, 'Stopped.'));
  else if (result.is_error)
    block.after.append(
      el('p', { class: 'turn-error', role: 'alert' }, result.error_message ?? 'The turn failed.'),
    );
  if (result.files.length > 0) {
    const list = el('ul', { class: 'sent-files', 'aria-label': 'Files from the agent' });
    for (const file of result.files)
      list.append(
        el(
          'li',
          {},
          '📄 ',
          el('a', { href: file.download, download: file.name }, file.name),
          ` (${formatSize(file.size)})`,
        ),
      );
    block.after.append(list);
  }
  const facts = [`$${result.cost_usd.toFixed(4)}`, `${(result.duration_ms / 1000).toFixed(1)} s`];
  if (result.model) facts.push(result.model);
  block.after.append(el('p', { class: 'turn-meta' }, facts.join(' · ')));
}

async function swapInAnswer(answer: HTMLElement, answerPath: string): Promise<void> {
  const response = await fetch(answerPath, { credentials: 'same-origin' }).catch(() => undefined);
  if (!response || response.status !== 200) return; // keep the streamed plain text
  const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
  const rendered = doc.body.firstElementChild;
  if (!rendered) return;
  answer.removeAttribute('aria-live'); // already heard as it streamed
  answer.replaceChildren(...[...rendered.childNodes].map((n) => document.adoptNode(n)));
  answer.classList.remove('plain', 'live');
}
