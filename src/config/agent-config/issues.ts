import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import type { ConfigIssue } from '../../core/errors.js';

/** Collects every problem found while loading the folder, so one `ConfigError` can list them all. */
export class IssueList {
  readonly items: ConfigIssue[] = [];

  add(file: string, field: string, message: string): void {
    this.items.push({ file, field, message });
  }

  /** Adds every issue of a failed zod parse, with fields prefixed by `prefix` (a JSON path). */
  addZod(file: string, prefix: ReadonlyArray<PropertyKey>, error: z.ZodError): void {
    for (const issue of error.issues) {
      const at = [...prefix, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add(file, fieldPath([...at, key]), 'unknown key');
      } else {
        this.add(file, fieldPath(at), issue.message.replace(/^Invalid input: /, ''));
      }
    }
  }

  get size(): number {
    return this.items.length;
  }
}

/** `['mcpServers', 'docs', 'args', 0]` → `mcpServers.docs.args[0]`. */
export function fieldPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${String(s)}` : String(s);
  }
  return out;
}

/** Outcome of reading an optional JSON file: absent, unreadable/malformed (issue added) or parsed. */
export type JsonRead = { kind: 'missing' } | { kind: 'invalid' } | { kind: 'ok'; value: unknown };

/** Reads `dir/file` as JSON; malformed JSON becomes one issue with line and column. */
export async function readJsonFile(dir: string, file: string, issues: IssueList): Promise<JsonRead> {
  let text: string;
  try {
    text = await readFile(path.join(dir, file), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return { kind: 'missing' };
    issues.add(file, '', `cannot read the file (${errnoCode(err)})`);
    return { kind: 'invalid' };
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown };
  } catch (err) {
    issues.add(file, '', describeJsonError(text, err));
    return { kind: 'invalid' };
  }
}

/** `Expected ',' … in JSON at position 42` → `malformed JSON at line 3, column 7: Expected ',' …`. */
export function describeJsonError(text: string, err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const match = /\s*(?:in JSON )?at position (\d+)/.exec(raw);
  const position = match ? Number(match[1]) : /end of JSON input/.test(raw) ? text.length : undefined;
  const reason = (match ? raw.slice(0, match.index) : raw).trim();
  if (position === undefined) return `malformed JSON: ${reason}`;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `malformed JSON at line ${line}, column ${column}: ${reason}`;
}

export function isNotFound(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR';
}

export function errnoCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return err instanceof Error ? err.message : String(err);
}
