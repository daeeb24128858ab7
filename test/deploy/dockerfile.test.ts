import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_SCHEMA } from '../../src/config/env.js';
import { parseCfnYaml } from './cfn-yaml.js';

/**
 * No Docker engine here: these checks are static. They prove the Dockerfile only copies files that
 * exist, runs the handlers the template names, carries the claude binary for the target
 * architecture and keeps every writable path under /tmp.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const instructions = lines.map((l) => {
  const [op, ...rest] = l.split(/\s+/);
  return { op: (op ?? '').toUpperCase(), args: rest.join(' ') };
});

function env(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) out[m[1] as string] = m[2] as string;
  }
  return out;
}

describe('Dockerfile', () => {
  it('builds on the AWS Lambda Node.js 22 base image, multi-stage', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=public\.ecr\.aws\/lambda\/nodejs:22$/m);
    const froms = instructions.filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(3);
    for (const f of froms) expect(f.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it('copies only files and folders that exist in the build context (and are not .dockerignored)', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copies = instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='));
    const sources = copies.flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'agent-config']),
    );
    for (const source of sources.filter((s) => s !== 'agent-config')) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.env', '.git', '.data', 'dist']));
  });

  it.skipIf(!existsSync(join(ROOT, 'agent-config')))(
    'bakes in agent-config/ (skipped until the runtime work adds it)',
    () => {
      expect(existsSync(join(ROOT, 'agent-config'))).toBe(true);
    },
  );

  it('the image CMD is the worker handler the template names, compiled from src/entry', () => {
    const template = parseCfnYaml(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as {
      Resources: Record<string, { Properties: { ImageConfig?: { Command: string[] } } }>;
    };
    const cmd = instructions.filter((i) => i.op === 'CMD').at(-1)?.args;
    expect(cmd).toBe(JSON.stringify(template.Resources.WorkerFunction!.Properties.ImageConfig!.Command));
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    // dist/entry/<name>.handler ← src/entry/<name>.ts; the image's package.json makes dist/ ESM.
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).type).toBe('module');
    const entries = ['WorkerFunction', 'ApiFunction'].map((id) =>
      template.Resources[id]!.Properties.ImageConfig!.Command[0]!.replace(/^dist\//, 'src/').replace(
        /\.handler$/,
        '.ts',
      ),
    );
    expect(entries).toEqual(['src/entry/lambda-worker.ts', 'src/entry/lambda-api.ts']);
    if (existsSync(join(ROOT, 'src/entry/lambda-worker.ts'))) {
      for (const e of entries) expect(existsSync(join(ROOT, e)), e).toBe(true);
    }
  });

  it('installs production deps and keeps exactly the claude binary of TARGET_ARCH', () => {
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('ARG TARGET_ARCH');
    expect(dockerfile).toContain(
      'test -x "node_modules/@anthropic-ai/claude-agent-sdk-linux-${NPM_ARCH}/claude"',
    );
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { cpu?: string[]; libc?: string[]; optional?: boolean }>;
    };
    for (const arch of ['arm64', 'x64']) {
      const pkg = lock.packages[`node_modules/@anthropic-ai/claude-agent-sdk-linux-${arch}`];
      expect(pkg, arch).toBeDefined();
      expect(pkg?.cpu).toEqual([arch]);
      expect(pkg?.libc).toEqual(['glibc']);
    }
  });

  it('HOME, TMPDIR, CLAUDE_CONFIG_DIR and the data dir live under /tmp; app variables are ENV_SCHEMA names', () => {
    const e = env();
    for (const name of ['HOME', 'TMPDIR', 'CLAUDE_CONFIG_DIR', 'OMNICLOUD_DATA_DIR', 'NPM_CONFIG_CACHE']) {
      expect(e[name], name).toMatch(/^\/tmp(\/|$)/);
    }
    const system = new Set(['NODE_ENV', 'HOME', 'TMPDIR', 'CLAUDE_CONFIG_DIR', 'NPM_CONFIG_CACHE']);
    const schema = new Set(Object.keys(ENV_SCHEMA.shape));
    expect(Object.keys(e).filter((k) => !system.has(k) && !schema.has(k))).toEqual([]);
    expect(e.OMNICLOUD_CONFIG_DIR).toBe('/var/task/agent-config');
  });
});
