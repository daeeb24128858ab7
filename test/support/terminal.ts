import { PassThrough } from 'node:stream';
import type { ChatIO } from '../../src/cli/chat.js';

/** A scripted terminal for `runChat`: what it prints is recorded; `ctrlC()` presses Ctrl-C. */
export interface RecordingTerminal {
  io: ChatIO;
  /** What the user types (`input.end('hello\n')`). */
  input: PassThrough;
  stdout(): string;
  stderr(): string;
  ctrlC(): void;
}

export function recordingTerminal(): RecordingTerminal {
  const input = new PassThrough();
  const stdout: string[] = [];
  const stderr: string[] = [];
  let interrupt: (() => void) | undefined;
  const io: ChatIO = {
    input,
    out: (s) => stdout.push(`${s}\n`),
    err: (s) => stderr.push(`${s}\n`),
    write: (s) => stdout.push(s),
    writeErr: (s) => stderr.push(s),
    interactive: false,
    interrupts: (handler) => {
      interrupt = handler;
      return () => (interrupt = undefined);
    },
  };
  return {
    io,
    input,
    stdout: () => stdout.join(''),
    stderr: () => stderr.join(''),
    ctrlC: () => interrupt?.(),
  };
}
