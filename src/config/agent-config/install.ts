import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, OmniError } from '../../core/errors.js';
import { errnoCode, isNotFound } from './issues.js';
import { INSTALLED_SKILLS_DIR, SKILLS_DIR } from './skills.js';
import { hashTree } from './tree.js';
import type { SkillInfo } from './types.js';

/** Names this installer put under `.claude/skills`, so skills dropped from the config are removed. */
const MANIFEST = '.omnicloud-skills.json';

export interface SkillInstallResult {
  installed: string[];
  unchanged: string[];
  removed: string[];
}

/** `.claude/skills` of a workspace is not a plain folder, or copying failed. */
export class SkillInstallError extends OmniError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('skill_install_failed', `[agent-config:skills] ${message}`, { cause: options?.cause, status: 500 });
  }
}

/**
 * Copies each skill folder to `<cwd>/.claude/skills/<name>/`, where the SDK finds it as a
 * project-level skill (with `settingSources` including 'project'); project skills survive a
 * sessionStore resume, user-level ones do not. Copies, not symlinks: the workspace may be
 * sandboxed or persisted, and the model must never be able to edit the source folder.
 *
 * Idempotent and cheap to call every turn: an installed folder whose content hash equals the
 * skill's is left alone, so a folder edited in the workspace (or half-copied) is replaced.
 * Skills this function installed earlier and that are no longer configured are removed; other
 * folders under `.claude/skills` are left untouched.
 */
export async function installSkills(skills: readonly SkillInfo[], cwd: string): Promise<SkillInstallResult> {
  const claudeDir = path.join(cwd, '.claude');
  const target = path.join(cwd, INSTALLED_SKILLS_DIR);
  await ensurePlainDir(claudeDir);
  await ensurePlainDir(target);

  const result: SkillInstallResult = { installed: [], unchanged: [], removed: [] };
  for (const skill of skills) {
    const dest = path.join(target, skill.name);
    if ((await hashTree(dest)) === skill.hash) {
      result.unchanged.push(skill.name);
      continue;
    }
    await copySkill(skill, target, dest);
    result.installed.push(skill.name);
  }

  const previous = await readManifest(target);
  const current = new Set(skills.map((s) => s.name));
  for (const name of previous) {
    if (current.has(name) || !/^[a-z0-9-]+$/.test(name)) continue;
    await rm(path.join(target, name), { recursive: true, force: true });
    result.removed.push(name);
  }
  const names = [...current].sort();
  if (names.join('\n') !== [...previous].sort().join('\n')) {
    await writeFile(path.join(target, MANIFEST), `${JSON.stringify({ installed: names }, null, 2)}\n`);
  }
  return result;
}

async function copySkill(skill: SkillInfo, target: string, dest: string): Promise<void> {
  const tmp = path.join(target, `.tmp-${skill.name}-${randomBytes(6).toString('hex')}`);
  try {
    await cp(skill.dir, tmp, { recursive: true, errorOnExist: true, force: false });
    if ((await hashTree(tmp)) !== skill.hash) {
      throw new ConfigError([
        {
          file: `${SKILLS_DIR}/${skill.name}`,
          field: '',
          message: 'changed on disk since the configuration was loaded: reload it (restart)',
        },
      ]);
    }
    await swapIn(tmp, dest, skill.hash);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new SkillInstallError(`cannot install skill "${skill.name}" into ${dest} (${errnoCode(err)})`, {
      cause: err,
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(`${tmp}.old`, { recursive: true, force: true });
  }
}

/**
 * Replaces `dest` by `tmp` with renames only, so a reader (or a concurrent installer) never sees
 * a half-deleted folder: move the old folder aside, move the new one in, delete the old one.
 */
async function swapIn(tmp: string, dest: string, hash: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const aside = `${tmp}.old`;
    try {
      await rename(dest, aside);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await rm(aside, { recursive: true, force: true });
    try {
      await rename(tmp, dest);
      return;
    } catch (err) {
      // A concurrent install of the same workspace got there first: fine if it wrote the same content.
      if ((await hashTree(dest)) === hash) return;
      if (attempt >= 2) throw err;
    }
  }
}

/** Creates `dir` if missing; refuses a symlink (it could point the copy outside the workspace). */
async function ensurePlainDir(dir: string): Promise<void> {
  try {
    const s = await lstat(dir);
    if (s.isSymbolicLink() || !s.isDirectory()) {
      throw new SkillInstallError(`${dir} must be a plain folder (it is a symlink or a file)`);
    }
  } catch (err) {
    if (err instanceof SkillInstallError) throw err;
    if (!isNotFound(err))
      throw new SkillInstallError(`cannot use ${dir} (${errnoCode(err)})`, { cause: err });
    await mkdir(dir, { recursive: true });
  }
}

async function readManifest(target: string): Promise<Set<string>> {
  try {
    const data: unknown = JSON.parse(await readFile(path.join(target, MANIFEST), 'utf8'));
    const names = (data as { installed?: unknown }).installed;
    return new Set(Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : []);
  } catch {
    return new Set();
  }
}
