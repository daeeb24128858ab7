import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer rules of eslint.config.js (which src/ folder may import which), run through ESLint on
 * probe sources placed (virtually) in each folder: a forbidden arrow is an error, an allowed one is
 * not, for static imports, type imports, re-exports and dynamic `import()`.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

const FORBIDDEN: Array<[file: string, code: string, why: string]> = [
  ['src/core/probe.ts', "import { buildDeps } from '../app/build-deps.js';\nvoid buildDeps;", 'core/'],
  ['src/core/probe.ts', "import type { AppEnv } from '../config/env.js';\nexport type X = AppEnv;", 'core/'],
  [
    'src/usage/probe.ts',
    "import type { TurnResult } from '../agent/types.js';\nexport type X = TurnResult;",
    'usage/',
  ],
  [
    'src/usage/adapters/sqlite/probe.ts',
    "export { createSqliteStorage } from '../../../sessions/adapters/sqlite/index.js';",
    'usage/',
  ],
  ['src/usage/probe.ts', "export const load = () => import('../telegram/index.js');", 'usage/'],
  [
    'src/queue/probe.ts',
    "import type { TelegramService } from '../telegram/index.js';\nexport type X = TelegramService;",
    'queue/',
  ],
  [
    'src/telegram/probe.ts',
    "import type { Storage } from '../sessions/types.js';\nexport type X = Storage;",
    'telegram/',
  ],
  ['src/telegram/probe.ts', "export const load = () => import('../usage/index.js');", 'telegram/'],
  ['src/app/probe.ts', "import { runChat } from '../cli/chat.js';\nvoid runChat;", 'app/'],
  ['src/aws/probe.ts', "export const load = () => import('../sessions/index.js');", 'aws/'],
  [
    'src/agent/probe.ts',
    "import type { AppDeps } from '../app/types.js';\nexport type X = AppDeps;",
    'agent/',
  ],
];

const ALLOWED: Array<[file: string, code: string]> = [
  ['src/usage/probe.ts', "import type { TenantId } from '../core/ids.js';\nexport type X = TenantId;"],
  ['src/usage/adapters/dynamodb/probe.ts', "export { translate } from '../../../aws/errors.js';"],
  [
    'src/usage/adapters/sqlite/probe.test.ts',
    "export { createSqliteStorage } from '../../../sessions/adapters/sqlite/index.js';",
  ],
  [
    'src/telegram/probe.ts',
    "import type { QueuedMessage } from '../queue/types.js';\nexport type X = QueuedMessage;",
  ],
  ['src/app/probe.ts', "export const load = () => import('../telegram/index.js');"],
  ['src/cli/probe.ts', "export const load = () => import('../app/local.js');"],
  ['src/entry/probe.ts', "import { runCli } from '../cli/main.js';\nvoid runCli;"],
];

describe('layer rules (eslint.config.js)', () => {
  it.each(FORBIDDEN)('%s: refuses %s', async (file, code, why) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(why);
  });

  it.each(ALLOWED)('%s: allows %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
