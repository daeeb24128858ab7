import { describe, expect, it } from 'vitest';
import { createStatusBoard } from './status.js';

const start = (
  id: string,
  name: string,
  summary: string,
  parentId: string | null = null,
  subagent?: string,
) => ({ type: 'tool_start', id, name, summary, parentId, ...(subagent ? { subagent } : {}) }) as const;

describe('createStatusBoard', () => {
  it('shows one line per call with its state, input as code and elapsed seconds', () => {
    const board = createStatusBoard();
    expect(board.apply(start('t1', 'Bash', 'aws ec2 describe-instances'), 0)).toBe(true);
    expect(board.apply(start('t2', 'Read', 'notes.md'), 1000)).toBe(true);
    board.apply({ type: 'tool_end', id: 't2', isError: true }, 2000);
    const view = board.render(3400);
    expect(view.text).toBe('🔧 Bash aws ec2 describe-instances 3 s\n❌ Read notes.md 1 s');
    const code = view.entities[0];
    expect(code?.type).toBe('code');
    expect(view.text.slice(code?.offset, (code?.offset ?? 0) + (code?.length ?? 0))).toBe(
      'aws ec2 describe-instances',
    );
    board.apply({ type: 'tool_end', id: 't1', isError: false }, 5000);
    expect(board.render(9000).text.split('\n')[0]).toBe('✅ Bash aws ec2 describe-instances 5 s');
  });

  it('names subagents and indents the calls they make, even when other calls come between', () => {
    const board = createStatusBoard();
    board.apply(start('a', 'Task', 'find the bucket', null, 'researcher'), 0);
    board.apply(start('b', 'Bash', 'ls'), 0);
    board.apply(start('c', 'Grep', 'bucket', 'a'), 0);
    board.apply(start('d', 'Read', 'x.ts', 'unknown-parent'), 0);
    expect(board.render(0).text.split('\n')).toEqual([
      '🔧 🤖 researcher find the bucket 0 s',
      '    ↳ 🔧 Grep bucket 0 s',
      '🔧 Bash ls 0 s',
      '🔧 Read (subagent) x.ts 0 s',
    ]);
  });

  it('takes the elapsed time of tool_progress and ignores events of unknown calls', () => {
    const board = createStatusBoard();
    board.apply(start('t1', 'Bash', 'sleep 100'), 0);
    expect(board.apply({ type: 'tool_progress', id: 't1', name: 'Bash', elapsedS: 42 }, 100)).toBe(true);
    expect(board.render(100).text).toBe('🔧 Bash sleep 100 42 s');
    expect(board.apply({ type: 'tool_end', id: 'nope', isError: false }, 0)).toBe(false);
    expect(board.apply({ type: 'text', delta: 'x' }, 0)).toBe(false);
  });

  it('adds the stall notice and keeps a huge board within one message', () => {
    const board = createStatusBoard();
    for (let i = 0; i < 300; i++) board.apply(start(`t${i}`, 'Bash', `echo ${'x'.repeat(50)} ${i}`), 0);
    const view = board.render(0, 60_000);
    expect(view.text.length).toBeLessThanOrEqual(4096);
    expect(view.text).toMatch(/^… \d+ earlier tool calls\n/);
    expect(view.text).toMatch(/299 0 s\n⏳ no progress for 60 s — tap Stop to cancel$/);
    for (const e of view.entities) expect(e.offset + e.length).toBeLessThanOrEqual(view.text.length);
  });

  it('sums the turn up in one line', () => {
    const board = createStatusBoard();
    expect(board.summary()).toBeUndefined();
    board.apply(start('t1', 'Bash', 'a'), 0);
    board.apply(start('t2', 'Bash', 'b'), 0);
    board.apply(start('t3', 'Read', 'c'), 0);
    board.apply({ type: 'tool_end', id: 't1', isError: false }, 2000);
    board.apply({ type: 'tool_end', id: 't2', isError: true }, 12_000);
    expect(board.summary()?.text).toBe('⚠️ 3 tool calls (1 failed, 1 unfinished) in 12 s: Bash ×2, Read');
  });

  it('sums up a call deferred for approval as waiting, not unfinished', () => {
    const board = createStatusBoard();
    board.apply(start('t1', 'Read', 'notes.md'), 0);
    board.apply({ type: 'tool_end', id: 't1', isError: false }, 1000);
    board.apply(start('t2', 'Bash', 'aws ec2 reboot-instances'), 1000);
    board.awaitApproval();
    expect(board.summary()?.text).toBe('⏸ 2 tool calls (1 waiting for approval) in 1 s: Read, Bash');
  });
});
