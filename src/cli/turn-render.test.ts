import { describe, expect, it } from 'vitest';
import { fakeTurnResult } from '../../test/support/turn-result.js';
import type { TurnEvent } from '../agent/types.js';
import { createTurnRenderer } from './turn-render.js';

/** A renderer over one terminal: both sinks append to one screen, each also kept apart. */
function screen() {
  const all: string[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const renderer = createTurnRenderer({
    text: (s) => (all.push(s), out.push(s)),
    status: (s) => (all.push(s), err.push(s)),
  });
  return { renderer, screen: () => all.join(''), stdout: () => out.join(''), stderr: () => err.join('') };
}

const play = (r: ReturnType<typeof screen>['renderer'], events: TurnEvent[]) =>
  events.forEach((e) => r.onEvent(e));

describe('the terminal turn renderer', () => {
  it('prints deltas as they come, tool lines with ✓/✗, subagent calls indented, and no duplicate reply', () => {
    const s = screen();
    play(s.renderer, [
      { type: 'turn_started', turn: 4 },
      { type: 'text', delta: 'Let me ' },
      { type: 'text', delta: 'check.' },
      { type: 'tool_start', id: 'a', name: 'Bash', summary: 'aws ec2 describe-instances', parentId: null },
      { type: 'tool_progress', id: 'a', name: 'Bash', elapsedS: 15 },
      { type: 'tool_end', id: 'a', isError: false },
      {
        type: 'tool_start',
        id: 't',
        name: 'Task',
        summary: 'find idle volumes',
        parentId: null,
        subagent: 'aws-support',
      },
      { type: 'tool_start', id: 'b', name: 'Bash', summary: 'aws ec2 describe-volumes', parentId: 't' },
      { type: 'tool_start', id: 'c', name: 'Read', summary: 'notes.md', parentId: 't' },
      { type: 'tool_end', id: 'c', isError: true },
      { type: 'tool_end', id: 'b', isError: false },
      { type: 'tool_end', id: 't', isError: false },
      { type: 'text', delta: '\n\nTwo instances, one idle volume.' },
    ]);
    s.renderer.finish(fakeTurnResult({ response: 'Two instances, one idle volume.' }));
    expect(s.screen()).toBe(
      [
        'Let me check.',
        '🔧 Bash aws ec2 describe-instances ✓',
        '🔧 Task → aws-support find idle volumes',
        '  🔧 Bash aws ec2 describe-volumes',
        '  🔧 Read notes.md ✗',
        '  ✓ Bash',
        '✓ Task',
        '',
        'Two instances, one idle volume.',
        '',
      ].join('\n'),
    );
    // The answer alone on stdout (pipe-friendly); tool lines on stderr.
    expect(s.stdout()).toBe('Let me check.\n\nTwo instances, one idle volume.\n');
    expect(s.stderr()).not.toContain('Two instances');
  });

  it('prints the final reply when nothing was streamed (a replayed turn), and the error of a failed one', () => {
    const s = screen();
    s.renderer.finish(fakeTurnResult({ response: 'from the ledger' }));
    s.renderer.finish(
      fakeTurnResult({
        response: '',
        is_error: true,
        error_code: 'budget_exceeded',
        error_message: 'daily budget',
      }),
    );
    expect(s.stdout()).toBe('from the ledger\nerror (budget_exceeded): daily budget\n');
  });

  it('a stopped turn keeps what was streamed and says it stopped, once', () => {
    const s = screen();
    play(s.renderer, [
      { type: 'text', delta: 'Partial answ' },
      { type: 'tool_start', id: 'a', name: 'Bash', summary: 'sleep 100', parentId: null },
    ]);
    s.renderer.note('stopping the turn… (Ctrl-C again to quit)');
    s.renderer.finish(
      fakeTurnResult({
        response: 'Partial answ',
        is_error: true,
        error_code: 'turn_stopped',
        error_message: 'stopped',
      }),
    );
    expect(s.screen()).toBe(
      'Partial answ\n🔧 Bash sleep 100\nstopping the turn… (Ctrl-C again to quit)\nerror (turn_stopped): stopped\n',
    );
    expect(s.screen().match(/Partial answ/g)).toHaveLength(1);
  });

  it('keeps a tool line on one line: control characters out, long summaries cut', () => {
    const s = screen();
    play(s.renderer, [
      {
        type: 'tool_start',
        id: 'a',
        name: 'Bash',
        summary: `echo a\nb\u001b[31m ${'x'.repeat(300)}`,
        parentId: null,
      },
    ]);
    const line = s.screen();
    expect(line.includes('\n') || line.includes('\u001b')).toBe(false);
    expect(line.endsWith('…')).toBe(true);
    expect(line.length).toBeLessThan(120);
  });

  it('a turn that threw leaves a clean line and no state for the next turn', () => {
    const s = screen();
    play(s.renderer, [{ type: 'text', delta: 'half a' }]);
    s.renderer.abandon();
    s.renderer.finish(fakeTurnResult({ response: 'next answer' }));
    expect(s.stdout()).toBe('half a\nnext answer\n');
  });
});
