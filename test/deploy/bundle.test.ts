import { build } from 'esbuild';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The API app bundles for Lambda with esbuild (ESM, node22): proves it has no Node-server-only or
 * unbundleable dependency, and reports its size. The ingress bundle is measured by the lead once
 * src/entry/lambda-ingress.ts exists (docs/benchmarks.md).
 */
const ROOT = join(import.meta.dirname, '..', '..');

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
    const own = share(/^(?!node_modules)/);
    const zod = share(/node_modules\/zod\//);
    const hono = share(/node_modules\/hono\//);
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.info(
      `[bundle] src/server: ${kib(bytes)} minified (our code ${kib(own)}, hono ${kib(hono)}, zod ${kib(zod)})`,
    );
    expect(result.errors).toEqual([]);
    // zod 4 (not tree-shakable, shared with config/env.ts) is most of it; our code and hono stay small.
    expect(own + hono).toBeLessThan(80 * 1024);
    expect(bytes).toBeLessThan(600 * 1024);
    // The server never pulls in the agent SDK, the AWS SDK or SQLite: those come through deps.
    expect(inputs.filter((i) => /claude-agent-sdk|@aws-sdk|better-sqlite3/.test(i))).toEqual([]);
  });
});
