import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommand } from './bash.js';

const texts = (line: string) => splitCommand(line).map((p) => p.text);
const flags = (line: string) => splitCommand(line).map((p) => [p.expansion, p.writesFile]);

describe('splitCommand', () => {
  it('splits at shell operators outside quotes', () => {
    expect(texts('a && b || c; d | e |& f & g\nh')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(texts('(cd x && ls)')).toEqual(['cd x', 'ls']);
    expect(texts(`echo 'a && b' "c; d" e\\;f`)).toEqual([`echo 'a && b' "c; d" e\\;f`]);
    expect(texts('  ls    -la\t/tmp  ')).toEqual(['ls -la /tmp']);
    expect(texts('ls \\\n -la')).toEqual(['ls -la']);
    expect(texts('')).toEqual([]);
  });

  it('flags expansions and substitutions outside single quotes', () => {
    expect(flags('echo $(whoami)')[0]).toEqual([true, false]);
    expect(flags('echo `whoami`')[0]).toEqual([true, false]);
    expect(flags('echo "$HOME"')).toEqual([[true, false]]);
    expect(flags('echo ${X}')).toEqual([[true, false]]);
    expect(texts('diff <(ls a) b')).toEqual(['diff <', 'ls a', 'b']);
    expect(flags("echo '$HOME' \\$X")).toEqual([[false, false]]);
    expect(flags('echo cost $')).toEqual([[false, false]]);
  });

  it('flags redirections to files, not to /dev/null or other descriptors', () => {
    expect(flags('ls > out.txt')).toEqual([[false, true]]);
    expect(flags('ls >>out.txt')).toEqual([[false, true]]);
    expect(flags('ls &> out')).toEqual([[false, true]]);
    expect(flags('ls >| out')).toEqual([[false, true]]);
    expect(flags('ls 2> err')).toEqual([[false, true]]);
    expect(flags('ls >/dev/null 2>&1')).toEqual([[false, false]]);
    expect(flags('ls > /dev/null')).toEqual([[false, false]]);
    expect(flags('ls &>/dev/null')).toEqual([[false, false]]);
    expect(flags('echo x >&2')).toEqual([[false, false]]);
    expect(flags("echo '>' x")).toEqual([[false, false]]);
    expect(texts('ls 2>&1 | head')).toEqual(['ls 2>&1', 'head']);
  });

  it('separates leading assignments', () => {
    expect(splitCommand("FOO=1 BAR='a b' aws s3 ls")[0]).toMatchObject({
      command: 'aws s3 ls',
      assignments: ['FOO', 'BAR'],
    });
    expect(splitCommand('X= ls')[0]).toMatchObject({ command: 'ls', assignments: ['X'] });
  });

  it('never throws and never returns an empty part', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (line) => {
        for (const part of splitCommand(line)) expect(part.text.trim()).not.toBe('');
      }),
    );
  });
});

describe('splitCommand: substitutions', () => {
  it('makes the substituted command a part of its own', () => {
    expect(texts('echo $(rm -rf /tmp/x) done')).toEqual(['echo $', 'rm -rf /tmp/x', 'done']);
    expect(texts('echo "a $(rm x) b"')).toEqual(['echo "a $', 'rm x', 'b"']);
    expect(texts('echo `rm x` y')).toEqual(['echo', 'rm x', 'y']);
    expect(flags('echo $(whoami) done')).toEqual([
      [true, false],
      [false, false],
      [true, false],
    ]);
  });
});
