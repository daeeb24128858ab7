import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSendable } from './send-file-path.js';

let base: string;
let dir: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'send-file-'));
  dir = join(base, 'files', 'c1', 'main');
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'report.csv'), 'a,b\n');
  await writeFile(join(base, 'outside.txt'), 'secret\n');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refusal(path: string, maxBytes = 1024): Promise<string> {
  const opened = await openSendable(dir, path, maxBytes);
  if (opened.ok) {
    await opened.handle.close();
    throw new Error(`expected a refusal for ${path}`);
  }
  return opened.reason;
}

describe('openSendable', () => {
  it('opens a file by a relative path, an absolute one inside, or a link that stays inside', async () => {
    await symlink(join(dir, 'report.csv'), join(dir, 'sub', 'alias.csv'));
    for (const path of ['report.csv', join(dir, 'report.csv'), 'sub/../report.csv', 'sub/alias.csv']) {
      const opened = await openSendable(dir, path, 1024);
      expect(opened).toMatchObject({ ok: true, size: 4 });
      if (opened.ok) await opened.handle.close();
    }
  });

  it('refuses paths outside, links leading out, missing files, folders, NUL and oversize files', async () => {
    const outside = `only files inside ${dir} can be sent: copy it there first`;
    await symlink(join(base, 'outside.txt'), join(dir, 'link.txt'));
    await symlink(base, join(dir, 'up'));
    expect(await refusal('../../outside.txt')).toBe(outside);
    expect(await refusal('../../../../../../etc/passwd')).toBe(outside);
    expect(await refusal(join(base, 'outside.txt'))).toBe(outside);
    expect(await refusal('link.txt')).toBe(`${outside} ("link.txt" leads outside it)`);
    expect(await refusal('up/outside.txt')).toBe(`${outside} ("up/outside.txt" leads outside it)`);
    expect(await refusal('missing.csv')).toBe(
      `there is no file "missing.csv" in ${dir}: write or copy it there first`,
    );
    expect(await refusal('sub')).toBe(
      '"sub" is not a regular file (a folder or a device); only files can be sent',
    );
    expect(await refusal('.')).toContain('is not a regular file');
    expect(await refusal('report.csv\0.png')).toBe(`give the path of a file inside ${dir}`);
    expect(await refusal('  ')).toBe(`give the path of a file inside ${dir}`);
    expect(await refusal('report.csv', 3)).toBe(
      '"report.csv" is 4 B; the most a file sent to the chat can be is 3 B',
    );
  });

  it('creates the folder when the conversation has none yet (then nothing is in it)', async () => {
    dir = join(base, 'files', 'new', 'main');
    expect(await refusal('x.txt')).toBe(`there is no file "x.txt" in ${dir}: write or copy it there first`);
  });
});
