/**
 * Just enough shell reading for the policy: split a command line into the simple commands it runs
 * and flag what a command-pattern rule cannot vouch for. Not a shell parser: anything it does not
 * understand stays part of a command's text, so it cannot match an allow rule by accident.
 */

/** One simple command of a command line. */
export interface BashPart {
  /** The command as written (trimmed, runs of unquoted whitespace collapsed to one space). */
  text: string;
  /** The command without leading `NAME=value` assignments. */
  command: string;
  /** The leading assignments' names (`FOO=1 cmd` → `['FOO']`). */
  assignments: string[];
  /** `$(…)`, backticks, `<(…)`, `>(…)` or `$VAR` / `${…}` outside single quotes. */
  expansion: boolean;
  /** Output redirected to a file (`>`, `>>`, `&>`, `>|`; not `>/dev/null` nor `2>&1`). */
  writesFile: boolean;
}

/**
 * Splits at `&&`, `||`, `;`, `|`, `|&`, `&`, newlines and unquoted parentheses (subshells), outside
 * quotes. The command inside `$(…)`, `<(…)`, `>(…)` or backticks is a part of its own (so deny rules
 * see it) and the command around it is flagged `expansion`. Never throws; an unterminated quote
 * runs to the end.
 */
export function splitCommand(line: string): BashPart[] {
  const parts: BashPart[] = [];
  let text = '';
  let expansion = false;
  let writesFile = false;
  let quote: "'" | '"' | undefined;
  /** Open substitutions: the quote state to return to, and how it closes. */
  const open: Array<{ quote: '"' | undefined; close: ')' | '`' }> = [];
  const flush = () => {
    const t = text.trim();
    if (t !== '') parts.push(makePart(t, expansion, writesFile));
    text = '';
    expansion = false;
    writesFile = false;
  };
  const enter = (close: ')' | '`') => {
    expansion = true;
    flush();
    open.push({ quote: quote === '"' ? '"' : undefined, close });
    quote = undefined;
  };
  const leave = () => {
    flush();
    quote = open.pop()?.quote;
    expansion = true; // the rest of the enclosing command
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    const next = line[i + 1] ?? '';
    if (quote === "'") {
      text += c;
      if (c === "'") quote = undefined;
      continue;
    }
    if (c === '\\') {
      if (next !== '\n') text += c + next;
      else if (!text.endsWith(' ')) text += ' '; // a line continuation is a space
      i++;
      continue;
    }
    if ((c === '$' || c === '<' || c === '>') && next === '(') {
      text += c;
      enter(')');
      i++;
      continue;
    }
    if (c === '`') {
      if (open.at(-1)?.close === '`' && quote === undefined) leave();
      else enter('`');
      continue;
    }
    if (c === '$' && /[{A-Za-z0-9_@*#?$!-]/.test(next)) expansion = true;
    if (quote === '"') {
      text += c;
      if (c === '"') quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      text += c;
      continue;
    }
    if (c === ')' && open.at(-1)?.close === ')') {
      leave();
      continue;
    }
    if (c === '>' || (c === '&' && next === '>')) {
      const end = redirectEnd(line, i);
      if (writesToFile(line.slice(i, end))) writesFile = true;
      text += line.slice(i, end);
      i = end - 1;
      continue;
    }
    if (c === '\n' || c === ';' || c === '|' || c === '&' || c === '(' || c === ')') {
      flush();
      if ((c === '&' && next === '&') || (c === '|' && (next === '|' || next === '&'))) i++;
      continue;
    }
    text += /\s/.test(c) ? (text.endsWith(' ') ? '' : ' ') : c;
  }
  flush();
  return parts;
}

const ASSIGNMENT_RE = /^([A-Za-z_][A-Za-z0-9_]*)=(?:'[^']*'|"[^"]*"|[^\s'"]*)(?:\s+|$)/;

function makePart(text: string, expansion: boolean, writesFile: boolean): BashPart {
  const assignments: string[] = [];
  let command = text;
  for (let m = ASSIGNMENT_RE.exec(command); m; m = ASSIGNMENT_RE.exec(command)) {
    assignments.push(m[1] ?? '');
    command = command.slice(m[0].length);
  }
  return { text, command, assignments, expansion, writesFile };
}

/** Index just past a redirection starting at `i` (`>`, `>>`, `&>`, `>|`, `>&2`, plus its target). */
function redirectEnd(line: string, i: number): number {
  let j = i;
  while (j < line.length && /[&>|]/.test(line[j] ?? '')) j++;
  while (j < line.length && (line[j] === ' ' || line[j] === '\t')) j++;
  while (j < line.length && !/[\s;&|()<>]/.test(line[j] ?? '')) j++;
  return j;
}

/** `>/dev/null`, `2>&1`, `>&2` are harmless; anything else writes a file. */
function writesToFile(redirect: string): boolean {
  const target = redirect.replace(/^[&>|]+\s*/, '');
  if (redirect.startsWith('>&') && /^\d*-?$/.test(target)) return false;
  return target !== '/dev/null';
}
