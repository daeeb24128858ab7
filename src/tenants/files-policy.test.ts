import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseTenantsFile } from './load.js';

const MB = 1024 * 1024;

describe('tenants file: files policy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'omnicloud-tenants-files-'));
    mkdirSync(join(dir, 'acme'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (files: string) =>
    parseTenantsFile(
      `version: 1\ntenants:\n  acme:\n    configDir: ./acme\n    files: ${files}\n`,
      join(dir, 't.yaml'),
    ).tenants.get('acme' as never);

  const issues = (files: string): Array<{ field: string; message: string }> => {
    try {
      load(files);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).issues.map(({ field, message }) => ({ field, message }));
    }
    throw new Error('expected a ConfigError');
  };

  it('turns maxMb and allow into the tenant’s policy', () => {
    expect(load('{ maxMb: 10, allow: [image, pdf, text] }')?.files).toEqual({
      maxBytes: 10 * MB,
      allow: ['image', 'pdf', 'text'],
    });
    expect(load('{ maxMb: 0.5 }')?.files).toEqual({
      maxBytes: 512 * 1024,
      allow: ['image', 'pdf', 'text', 'other'],
    });
    expect(load('{ allow: [text] }')?.files).toEqual({ maxBytes: 20 * MB, allow: ['text'] });
    expect(load('{ maxMb: 50, allow: [] }')?.files).toEqual({ maxBytes: 50 * MB, allow: [] });
  });

  it('leaves the policy unset (the default: every kind, 20 MB) without a files entry', () => {
    const config = parseTenantsFile(
      `version: 1\ntenants:\n  acme:\n    configDir: ./acme\n`,
      join(dir, 't.yaml'),
    );
    expect(config.tenants.get('acme' as never)?.files).toBeUndefined();
  });

  it('names the field of an unknown kind and lists the kinds', () => {
    expect(issues('{ allow: [image, exe] }')).toEqual([
      { field: 'tenants.acme.files.allow[1]', message: 'must be one of image, pdf, text, other' },
    ]);
    expect(issues('{ allow: image }')).toEqual([
      { field: 'tenants.acme.files.allow', message: 'must be a list of kinds (image, pdf, text, other)' },
    ]);
    expect(issues('{ allow: [text, text] }')).toEqual([
      { field: 'tenants.acme.files.allow', message: 'must name each kind once' },
    ]);
  });

  it.each([
    ['0', 'must be at least 1/1024 (1 KB)'],
    ['-5', 'must be at least 1/1024 (1 KB)'],
    ['1e-9', 'must be at least 1/1024 (1 KB)'],
    ['51', 'must be ≤ 50 (the Bot API uploads at most 50 MB; it downloads at most 20 MB)'],
    ['ten', 'must be a number of megabytes'],
  ])('refuses maxMb %s', (value, message) => {
    expect(issues(`{ maxMb: ${value} }`)).toEqual([{ field: 'tenants.acme.files.maxMb', message }]);
  });

  it('refuses an unknown field of files', () => {
    expect(issues('{ maxMb: 5, maxSize: 10 }')).toEqual([
      { field: 'tenants.acme.files.maxSize', message: 'unknown field' },
    ]);
  });
});
