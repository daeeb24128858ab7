import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AgentWorkspace } from './profile.js';

/** The layout of an agent workspace under `base`: cwd (with `.claude/skills`), config dir, home, temp. */
export function workspaceAt(base: string): AgentWorkspace {
  const root = resolve(base);
  return {
    cwd: join(root, 'work'),
    configDir: join(root, 'claude'),
    home: join(root, 'home'),
    tmpDir: join(root, 'tmp'),
  };
}

/** `workspaceAt(base)` with its folders created. */
export async function prepareWorkspace(base: string): Promise<AgentWorkspace> {
  const workspace = workspaceAt(base);
  await Promise.all(Object.values(workspace).map((dir) => mkdir(dir, { recursive: true })));
  return workspace;
}
