import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The API app bundles for Lambda with esbuild (ESM, node22): proves it has no Node-server-only or
 * unbundleable dependency, and reports its size; the Telegram ingress entry likewise, with its cold
 * import time (figures in docs/benchmarks.md).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const execFileAsync = promisify(execFile);

describe('esbuild bundle of the agent HTTP API app', () => {
  it('bundles src/server for Lambda and stays small', async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'src/server/index.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const bytes = result.outputFiles[0]!.contents.byteLength;
    const inputs = Object.keys(result.metafile.inputs);
    const output = Object.values(result.metafile.outputs)[0]!;
    const share = (re: RegExp) =>
      Object.entries(output.inputs)
        .filter(([path]) => re.test(path))
        .reduce((sum, [, v]) => sum + v.bytesInOutput, 0);
    const own = share(/^(?!.*node_modules\/)/); // also when node_modules is a symlink (../x/node_modules/…)
    const zod = share(/node_modules\/zod\//);
    const hono = share(/node_modules\/hono\//);
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.info(
      `[bundle] src/server: ${kib(bytes)} minified (our code ${kib(own)}, hono ${kib(hono)}, zod ${kib(zod)})`,
    );
    expect(result.errors).toEqual([]);
    // zod 4 (not tree-shakable, shared with config/env.ts) is most of it; our code and hono stay small.
    // Issue 16 added croner (~30 KiB: a schedule's next run) and the alert parsers (~18 KiB), so the
    // bound moved from 600 to 640 KiB; it still keeps any heavy library out.
    // Issue 17's session and settings routes (~5 KiB of our code) moved that bound from 80 to 88 KiB.
    expect(own + hono).toBeLessThan(88 * 1024);
    expect(bytes).toBeLessThan(640 * 1024);
    // The server never pulls in the agent SDK, the AWS SDK or SQLite: those come through deps.
    expect(inputs.filter((i) => /claude-agent-sdk|@aws-sdk|better-sqlite3/.test(i))).toEqual([]);
  });
});

describe('esbuild bundle of the Telegram ingress Lambda', () => {
  it('bundles src/entry/lambda-ingress.ts without the agent SDK, S3 or SQLite, and imports fast', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omni-bundle-'));
    try {
      const outfile = join(dir, 'lambda-ingress.mjs');
      // The same options as template.yaml's IngressFunction BuildProperties.
      const result = await build({
        entryPoints: [join(ROOT, 'src/entry/lambda-ingress.ts')],
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        minify: true,
        outfile,
        metafile: true,
        logLevel: 'silent',
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
      expect(result.errors).toEqual([]);
      const bytes = (await stat(outfile)).size;
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((i) => /claude-agent-sdk|better-sqlite3|client-s3|@anthropic-ai/.test(i))).toEqual(
        [],
      );
      // Nor the worker: replies are formatted by the worker Lambda (Markdown stack ≈ 150 KiB).
      expect(inputs.filter((i) => /src\/telegram\/worker\/|telegramify-markdown|micromark/.test(i))).toEqual(
        [],
      );
      // Cold import in a fresh Node process (what a Lambda cold start pays before the handler runs).
      const started = performance.now();
      await execFileAsync(process.execPath, ['-e', `import(${JSON.stringify(outfile)})`]);
      const nodeAndImportMs = performance.now() - started;
      const emptyStarted = performance.now();
      await execFileAsync(process.execPath, ['-e', '0']);
      const nodeOnlyMs = performance.now() - emptyStarted;
      console.info(
        `[bundle] lambda-ingress: ${(bytes / 1024).toFixed(1)} KiB minified; cold import ≈ ${Math.max(
          0,
          nodeAndImportMs - nodeOnlyMs,
        ).toFixed(0)} ms over a bare node start (${nodeOnlyMs.toFixed(0)} ms)`,
      );
      expect(bytes).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
