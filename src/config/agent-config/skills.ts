import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { boundedRecord, boundedText } from '../../core/schema-bounds.js';
import { MAX_COMMENT_CHARS, MAX_KEY_CHARS, MAX_LIST_ITEMS } from './limits.js';
import { errnoCode, isNotFound, type IssueList } from './issues.js';
import { NAME_RE, NAME_RULE } from './names.js';
import { hashFiles, scanTree } from './tree.js';
import type { SkillInfo, SkillScript } from './types.js';

export const SKILLS_DIR = 'skills';
/** Where skills are installed, relative to the agent's cwd (project-level skills). */
export const INSTALLED_SKILLS_DIR = '.claude/skills';

const MAX_SKILL_BYTES = 8 * 1024 * 1024;
const MAX_SKILL_FILES = 500;
/** Interpreter per script extension: the tool policy allows `<interpreter> <path> [args]`. */
const INTERPRETERS: Record<string, string> = {
  '.sh': 'bash',
  '.bash': 'bash',
  '.py': 'python3',
  '.js': 'node',
  '.mjs': 'node',
};
// Characters that need no shell quoting, so the permission rule matches the command verbatim.
const SAFE_PATH_RE = /^[A-Za-z0-9._/-]+$/;

/** The frontmatter of a SKILL.md (after `allowed-tools` is read). */
export const SKILL_FRONTMATTER_SCHEMA = z.strictObject({
  name: boundedText(MAX_KEY_CHARS),
  description: z
    .string()
    .trim()
    .min(1, 'must be a non-empty string')
    .max(1024, 'must be at most 1024 characters'),
  license: z.string().max(MAX_COMMENT_CHARS).optional(),
  // Free-form and never read: kept in the installed SKILL.md as written (the file is ≤ MAX_SKILL_BYTES).
  metadata: boundedRecord(z.string().max(MAX_KEY_CHARS), z.unknown(), MAX_LIST_ITEMS).optional(),
  model: z.string().max(MAX_KEY_CHARS).optional(),
  'argument-hint': z.string().max(MAX_KEY_CHARS).optional(),
  'disable-model-invocation': z.boolean().optional(),
  'user-invocable': z.boolean().optional(),
});

/** Discovers and validates `skills/<name>/SKILL.md` folders (the `skills/` folder is optional). */
export async function loadSkills(dir: string, issues: IssueList, warnings: IssueList): Promise<SkillInfo[]> {
  const root = path.join(dir, SKILLS_DIR);
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if (isNotFound(err)) return [];
    issues.add(SKILLS_DIR, '', `cannot read the skills folder (${errnoCode(err)})`);
    return [];
  }
  const skills: SkillInfo[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const file = `${SKILLS_DIR}/${entry.name}`;
    if (!entry.isDirectory()) {
      issues.add(file, '', `not a skill folder: expected ${SKILLS_DIR}/<name>/SKILL.md`);
      continue;
    }
    const skill = await loadSkill(path.join(root, entry.name), entry.name, issues, warnings);
    if (skill) skills.push(skill);
  }
  return skills;
}

async function loadSkill(
  dir: string,
  name: string,
  issues: IssueList,
  warnings: IssueList,
): Promise<SkillInfo | undefined> {
  const base = `${SKILLS_DIR}/${name}`;
  const mdFile = `${base}/SKILL.md`;
  const before = issues.size;
  if (!NAME_RE.test(name)) issues.add(base, '', `invalid skill folder name: ${NAME_RULE}`);

  const scan = await scanTree(dir);
  for (const p of scan.problems) issues.add(`${base}/${p.rel}`, '', p.message);
  const bytes = scan.files.reduce((n, f) => n + f.size, 0);
  if (scan.files.length > MAX_SKILL_FILES)
    issues.add(base, '', `too many files (${scan.files.length} > ${MAX_SKILL_FILES})`);
  if (bytes > MAX_SKILL_BYTES) issues.add(base, '', `too large (${bytes} bytes > ${MAX_SKILL_BYTES})`);

  let text: string;
  try {
    if (!(await stat(path.join(dir, 'SKILL.md'))).isFile())
      throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
    text = await readFile(path.join(dir, 'SKILL.md'), 'utf8');
  } catch (err) {
    issues.add(
      mdFile,
      '',
      isNotFound(err) ? 'missing: every skill folder needs a SKILL.md' : `cannot read (${errnoCode(err)})`,
    );
    return undefined;
  }
  const md = parseSkillMd(text, mdFile, issues);
  if (md && md.name !== name)
    issues.add(mdFile, 'name', `must equal the folder name "${name}", got "${md.name}"`);

  const scripts: SkillScript[] = [];
  for (const f of scan.files) {
    const interpreter = INTERPRETERS[path.extname(f.rel)];
    if (!f.rel.startsWith('scripts/') || !interpreter) continue;
    if (!SAFE_PATH_RE.test(f.rel)) {
      issues.add(`${base}/${f.rel}`, '', 'script paths may only use A-Z, a-z, 0-9, ".", "_", "-" and "/"');
      continue;
    }
    const command = `${interpreter} ${INSTALLED_SKILLS_DIR}/${name}/${f.rel}`;
    scripts.push({ path: f.rel, command });
    if (md && !md.body.includes(command)) {
      warnings.add(
        mdFile,
        '',
        `does not mention the exact command "${command}": the model may run the script another way, which the tool policy denies`,
      );
    }
  }
  if (!md || issues.size > before) return undefined;
  return {
    name,
    description: md.description,
    dir,
    files: scan.files.map((f) => f.rel),
    scripts,
    hash: await hashFiles(scan.files),
  };
}

/** Splits `---\nYAML\n---\nbody`; adds issues (with YAML line numbers) for anything wrong. */
function parseSkillMd(
  text: string,
  file: string,
  issues: IssueList,
): { name: string; description: string; body: string } | undefined {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n([\s\S]*))?$/.exec(text);
  if (!m) {
    issues.add(file, '', 'must start with YAML frontmatter between "---" lines (name, description)');
    return undefined;
  }
  const yamlText = m[1] ?? '';
  const body = m[2] ?? '';
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? ` at line ${pos.line + 1}, column ${pos.col}` : '';
      issues.add(file, '', `malformed YAML frontmatter${where}: ${yamlReason(err.message)}`);
    } else {
      issues.add(file, '', `malformed YAML frontmatter: ${errnoCode(err)}`);
    }
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    issues.add(file, '', 'the frontmatter must be a YAML mapping with name and description');
    return undefined;
  }
  const fm = { ...(data as Record<string, unknown>) };
  let ok = true;
  if ('allowed-tools' in fm) {
    issues.add(
      file,
      'allowed-tools',
      'not supported: tool permissions come from the tool policy (scripts under scripts/ get a Bash rule each)',
    );
    delete fm['allowed-tools'];
  }
  const parsed = SKILL_FRONTMATTER_SCHEMA.safeParse(fm);
  if (!parsed.success) {
    issues.addZod(file, [], parsed.error);
    // Still return the name, so a name/folder mismatch is reported in the same run.
    return typeof fm.name === 'string' ? { name: fm.name, description: '', body } : undefined;
  }
  if (body.trim() === '') {
    issues.add(file, '', 'has no instructions after the frontmatter');
    ok = false;
  }
  return ok ? { name: parsed.data.name, description: parsed.data.description, body } : undefined;
}

function yamlReason(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
}
