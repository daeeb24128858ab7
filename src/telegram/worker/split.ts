/**
 * Splits Markdown into pieces of at most `budget` characters at safe boundaries, never losing
 * text: between blocks (blank lines) first, then between lines, then between sentences or words,
 * and only as a last resort inside a word (never inside a surrogate pair). A fenced code block that
 * must be split is closed at the cut and reopened (same fence and language) in the next piece, so
 * every piece is valid Markdown on its own.
 */
export function splitMarkdown(markdown: string, budget: number): string[] {
  if (budget < 40) throw new RangeError('[telegram:split] budget must be at least 40 characters');
  const pieces: string[] = [];
  let current = '';
  const flush = (): void => {
    if (current.trim()) pieces.push(current);
    current = '';
  };
  for (const block of blocks(markdown)) {
    const joined = current ? `${current}\n\n${block.text}` : block.text;
    if (joined.length <= budget) {
      current = joined;
      continue;
    }
    flush();
    if (block.text.length <= budget) {
      current = block.text;
      continue;
    }
    const parts = block.fence ? splitFence(block.fence, block.body, budget) : splitText(block.text, budget);
    pieces.push(...parts.slice(0, -1));
    current = parts[parts.length - 1] ?? '';
  }
  flush();
  return pieces;
}

interface Block {
  text: string;
  fence?: { open: string; close: string };
  body: string[];
}

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})/;

/** Paragraphs and fenced code blocks, separated by blank lines outside code. */
function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  let para: string[] = [];
  const endPara = (): void => {
    if (para.length) out.push({ text: para.join('\n'), body: para });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const open = FENCE_RE.exec(line);
    if (open) {
      endPara();
      const marker = open[1] as string;
      const body: string[] = [];
      let close = marker;
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j] as string;
        const m = FENCE_RE.exec(l);
        if (
          m &&
          (m[1] as string)[0] === marker[0] &&
          (m[1] as string).length >= marker.length &&
          !l.trim().slice(m[1]!.length).trim()
        ) {
          close = l;
          break;
        }
        body.push(l);
      }
      const text = [line, ...body, close].join('\n');
      out.push({ text, body, fence: { open: line, close } });
      i = j;
      continue;
    }
    if (line.trim() === '') endPara();
    else para.push(line);
  }
  endPara();
  return out;
}

function splitFence(fence: { open: string; close: string }, body: string[], budget: number): string[] {
  const room = budget - fence.open.length - fence.close.length - 2;
  const chunks = packLines(body, Math.max(room, 20), (line, max) => hardSplit(line, max));
  return chunks.map((chunk) => `${fence.open}\n${chunk}\n${fence.close}`);
}

function splitText(text: string, budget: number): string[] {
  return packLines(text.split('\n'), budget, splitLine);
}

/** Greedily joins lines with `\n`; a line longer than `max` is cut with `cut`. */
function packLines(lines: string[], max: number, cut: (line: string, max: number) => string[]): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of lines) {
    const parts = line.length > max ? cut(line, max) : [line];
    for (const part of parts) {
      if (current !== undefined && current.length + 1 + part.length <= max) current = `${current}\n${part}`;
      else {
        if (current !== undefined) out.push(current);
        current = part;
      }
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}

/** Cut a long line after a sentence end, else at a space, else hard. Parts rejoin with one space. */
function splitLine(line: string, max: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const sentence = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '));
    const space = window.lastIndexOf(' ');
    const at = sentence > max / 2 ? sentence + 1 : space > max / 4 ? space : -1;
    if (at > 0) {
      out.push(rest.slice(0, at));
      rest = rest.slice(at + 1);
    } else {
      const [head, ...tail] = hardSplit(rest, max);
      out.push(head);
      rest = tail.join('');
    }
  }
  out.push(rest);
  return out;
}

/** Cut into `max`-sized parts without splitting a surrogate pair. */
function hardSplit(text: string, max: number): [string, ...string[]] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let at = max;
    const code = rest.charCodeAt(at - 1);
    if (code >= 0xd800 && code <= 0xdbff) at--;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  parts.push(rest);
  return parts as [string, ...string[]];
}
