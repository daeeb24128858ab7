#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'entry', 'cli.js');
if (!existsSync(main)) {
  process.stderr.write('omnicloud: not built yet — run `npm run build` (or `npm ci`) first\n');
  process.exit(1);
}
await import(pathToFileURL(main).href);
