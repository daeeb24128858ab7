import { el } from './dom.js';

interface Line {
  li: HTMLLIElement;
  state: HTMLSpanElement;
  said: HTMLSpanElement;
  time: HTMLSpanElement;
  startedAt: number;
  done: boolean;
}

/** What the page reads of `tool_start`, `tool_progress` and `tool_end` events. */
export interface ToolStart {
  id: string;
  name: string;
  summary: string;
  parentId: string | null;
  subagent?: string;
}

/**
 * The live tool calls of one turn, one line each (the same markup as a stored turn, `turn-view.tsx`):
 * state (… ✓ ✗), name, input summary as code, elapsed seconds ticking until it ends. A call made
 * inside a subagent is nested under the call that started the subagent (`parentId`).
 */
export class ToolLines {
  private readonly lines = new Map<string, Line>();
  private timer: number | undefined;

  constructor(private readonly list: HTMLUListElement) {}

  start(call: ToolStart): void {
    if (this.lines.has(call.id)) return;
    const state = el('span', { class: 'tool-state', 'aria-hidden': 'true' }, '…');
    const said = el('span', { class: 'visually-hidden' }, 'running: ');
    const time = el('span', { class: 'tool-time' }, '0.0 s');
    const li = el(
      'li',
      { class: 'tool run', 'data-id': call.id },
      state,
      said,
      el('span', { class: 'tool-name' }, call.name),
    );
    if (call.summary) li.append(el('code', { class: 'tool-input' }, call.summary));
    if (call.subagent) li.append(el('span', { class: 'tool-sub' }, `→ subagent ${call.subagent}`));
    li.append(time);
    this.parentList(call.parentId).append(li);
    this.lines.set(call.id, { li, state, said, time, startedAt: performance.now(), done: false });
    this.tick();
  }

  progress(id: string, elapsedS: number): void {
    const line = this.lines.get(id);
    if (line && !line.done) line.startedAt = Math.min(line.startedAt, performance.now() - elapsedS * 1000);
  }

  end(id: string, isError: boolean): void {
    const line = this.lines.get(id);
    if (!line || line.done) return;
    this.show(line);
    line.done = true;
    line.li.className = `tool ${isError ? 'err' : 'ok'}`;
    line.state.textContent = isError ? '✗' : '✓';
    line.said.textContent = isError ? 'failed: ' : 'done: ';
  }

  /** The turn ended: calls without an end stop ticking (stopped, or waiting for an approval). */
  finish(): void {
    for (const line of this.lines.values()) {
      if (line.done) continue;
      this.show(line);
      line.done = true;
      line.li.className = 'tool open';
      line.said.textContent = 'no result: ';
    }
    this.stopTimer();
  }

  private parentList(parentId: string | null): HTMLUListElement {
    const parent = parentId === null ? undefined : this.lines.get(parentId);
    if (!parent) return this.list;
    const existing = parent.li.querySelector<HTMLUListElement>(':scope > ul.tools');
    if (existing) return existing;
    const nested = el('ul', { class: 'tools' });
    parent.li.append(nested);
    return nested;
  }

  private show(line: Line): void {
    line.time.textContent = `${((performance.now() - line.startedAt) / 1000).toFixed(1)} s`;
  }

  private tick(): void {
    if (this.timer !== undefined) return;
    this.timer = window.setInterval(() => {
      let running = 0;
      for (const line of this.lines.values()) {
        if (line.done) continue;
        running += 1;
        this.show(line);
      }
      if (running === 0) this.stopTimer();
    }, 200);
  }

  private stopTimer(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
  }
}
