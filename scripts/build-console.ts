// Bundles the web console's browser script and stylesheet (src/console/client/) with esbuild into
// src/generated/console-assets.ts, so every runtime (Node, the Lambda image, the tests) serves the
// same bytes from the package with no build step of its own and nothing from a CDN.
// Run by `npm run build`; src/console/assets.test.ts checks the generated file is in sync.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

export interface BuiltAsset {
  /** Served as `/console/assets/<name>` (`console.<hash>.js`): the hash makes it cacheable forever. */
  name: string;
  type: string;
  body: string;
}

async function bundle(entry: string, loader: 'ts' | 'css'): Promise<string> {
  const out = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    minify: true,
    write: false,
    legalComments: 'none',
    charset: 'utf8',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    ...(loader === 'ts' ? { format: 'iife' as const } : {}),
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error(`[build-console] esbuild wrote nothing for ${entry}`);
  return file.text;
}

function named(base: string, ext: string, type: string, body: string): BuiltAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${base}.${hash}.${ext}`, type, body };
}

export async function buildConsoleAssets(): Promise<{ script: BuiltAsset; style: BuiltAsset }> {
  const [js, css] = await Promise.all([
    bundle('src/console/client/main.ts', 'ts'),
    bundle('src/console/client/styles/console.css', 'css'),
  ]);
  return {
    script: named('console', 'js', 'text/javascript; charset=utf-8', js),
    style: named('console', 'css', 'text/css; charset=utf-8', css),
  };
}

export function renderAssetsModule(assets: { script: BuiltAsset; style: BuiltAsset }): string {
  return [
    '// Generated from src/console/client/ by scripts/build-console.ts — do not edit.',
    '',
    "import type { ConsoleAsset } from '../console/assets-types.js';",
    '',
    `export const CONSOLE_SCRIPT: ConsoleAsset = ${JSON.stringify(assets.script)};`,
    '',
    `export const CONSOLE_STYLE: ConsoleAsset = ${JSON.stringify(assets.style)};`,
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const assets = await buildConsoleAssets();
  writeFileSync(join(root, 'src/generated/console-assets.ts'), renderAssetsModule(assets));
}
