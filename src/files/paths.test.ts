import { describe, expect, it } from 'vitest';
import { conversationKey } from '../core/keys.js';
import { newFileId } from './ids.js';
import {
  conversationFilesDir,
  durablePart,
  parseDurableRest,
  tenantFilesPrefix,
  workspacePath,
} from './paths.js';

const key = conversationKey({ tenant: 'acme', chat: '-100123', thread: '17' });
const id = newFileId();

describe('durable paths', () => {
  it('durablePart and parseDurableRest round-trip', () => {
    const file = {
      key,
      id,
      direction: 'out' as const,
      kind: 'pdf' as const,
      createdAt: 1764590400123,
      name: 'report 1.pdf',
    };
    const part = durablePart(file);
    expect(part).toBe(`-100123/17/${id}/out-pdf-1764590400123/report 1.pdf`);
    const { key: _key, ...rest } = file;
    expect(parseDurableRest(part.slice('-100123/17/'.length))).toEqual(rest);
    expect(tenantFilesPrefix(key)).toBe('tenants/acme/files/');
  });

  it.each([
    ['too few parts', `${id}/in-text-1`],
    ['too many parts', `${id}/in-text-1/a/b.txt`],
    ['a malformed id', `../in-text-1/a.txt`],
    ['an unknown direction', `${id}/up-text-1/a.txt`],
    ['an unknown kind', `${id}/in-exe-1/a.txt`],
    ['no time', `${id}/in-text/a.txt`],
    ['a negative time', `${id}/in-text--1/a.txt`],
    ['a fractional time', `${id}/in-text-1.5/a.txt`],
    ['a padded time', `${id}/in-text-01/a.txt`],
    ['an empty name', `${id}/in-text-1/`],
    ['a dot-dot name', `${id}/in-text-1/..`],
    ['a hidden (temporary) name', `${id}/in-text-1/.put-abc`],
    ['a name with a NUL', `${id}/in-text-1/a\u0000.txt`],
    ['a name with an RTL override', `${id}/in-text-1/a\u202etxt.exe`],
    ['an over-long name', `${id}/in-text-1/${'a'.repeat(200)}.txt`],
    ['a trailing dot', `${id}/in-text-1/a.txt.`],
  ])('refuses %s', (_, rest) => {
    expect(parseDurableRest(rest)).toBeUndefined();
  });
});

describe('workspace paths', () => {
  it('are <cwd>/files/<chat>/<thread>/<id>/<name>', () => {
    const dir = conversationFilesDir('/srv/acme', key);
    expect(dir).toBe('/srv/acme/files/-100123/17');
    expect(workspacePath(dir, { id, name: 'a.log' })).toBe(`/srv/acme/files/-100123/17/${id}/a.log`);
  });
});
