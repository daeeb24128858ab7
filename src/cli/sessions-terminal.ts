import { createInterface } from 'node:readline';

/**
 * One question on the terminal: asked on stderr (stdout may be a pipe), answered by the next line
 * of stdin; `null` when the input ends first (Ctrl-D, Ctrl-C).
 */
export function terminalQuestion(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): (question: string) => Promise<string | null> {
  return (question) =>
    new Promise((resolve) => {
      const rl = createInterface({ input, output, terminal: Boolean((input as { isTTY?: boolean }).isTTY) });
      let answered = false;
      // Ctrl-C reaches readline, not the process, while the terminal is in raw mode: it ends the question.
      rl.on('SIGINT', () => rl.close());
      rl.on('close', () => {
        if (answered) return;
        output.write('\n');
        resolve(null);
      });
      rl.question(question, (answer) => {
        answered = true;
        resolve(answer);
        rl.close();
      });
    });
}
