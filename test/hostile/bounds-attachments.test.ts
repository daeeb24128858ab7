import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import type { Message } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SEND_FILE_INPUT } from '../../src/agent/send-file.js';
import { openSendable } from '../../src/agent/send-file-path.js';
import { buildUserMessage, withAttachmentNotes } from '../../src/agent/user-content.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { FileRefusedError } from '../../src/files/errors.js';
import { ingestFile } from '../../src/files/ingest.js';
import { SNIFF_BYTES } from '../../src/files/kinds.js';
import { MAX_NAME_BYTES, isSanitizedName, sanitizeFileName } from '../../src/files/names.js';
import {
  conversationFilesDir,
  durablePart,
  tenantFilesPrefix,
  workspacePath,
} from '../../src/files/paths.js';
import { assertAccepted } from '../../src/files/policy.js';
import { FILE_KINDS, type FileKind, type FilePolicy, type StoredFile } from '../../src/files/types.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { contentOf } from '../../src/telegram/ingress/attachments.js';
import { UNICODE_TRICKS } from './arbitraries.js';
import { RUNS, SEED, createFigures, since, watchCrashes, yieldToEventLoop } from './figures.js';
import { boundIssues } from './schema-cases.js';

/**
 * Issue 18 for files (attachments): hostile and extreme names (traversal, NUL, bidi overrides,
 * 1024+ characters, only dots, Windows device names, unicode normalisation tricks), sizes at and
 * past the cap, any kind against any policy, through the real ingest (`ingestFile`) into the real
 * file store of SQLite storage (local disk). Every stored path is under the tenant's folder, every
 * S3 key under `tenants/<tenant>/files/`, every workspace path under the conversation's folder;
 * nothing throws but `FileRefusedError`, which the up-front check (`assertAccepted`, the API's)
 * predicts; the name the model and the user see is sanitised. The JSON/multipart schema side is
 * `bounds-api.test.ts` (CHAT_REQUEST's audit and cases).
 */

/** C0/C1 controls, bidi overrides/isolates, zero-width characters, BOM, lone surrogates. */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]/u;
const DEVICES = ['CON', 'prn', 'Aux', 'NUL', 'com1', 'LPT9', 'nul.txt', 'con.tar.gz', 'COM¹', 'lpt²'];

const hostileName: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    '..',
    '.',
    '...',
    '.'.repeat(300),
    '../../../etc/passwd',
    '..\\..\\windows\\system32',
    '/etc/shadow',
    'a/../../b.txt',
    'file\u0000.txt',
    '\u0000',
    'report\u202etxt.exe',
    '\u202e\u202e',
    '\u200b',
    ' ',
    '\t\n',
    '.hidden',
    'trailing. . .',
    'x'.repeat(1024),
    `${'y'.repeat(1100)}.pdf`,
    `${'é'.repeat(700)}.txt`,
    `${'😀'.repeat(400)}.png`,
    'e\u0301.txt', // NFD é
    '\u212b.txt', // Angstrom sign (NFC: Å)
    'ﬁle.txt', // ligature
    '\uff0e\uff0e', // fullwidth dots
    '\uff0f etc', // fullwidth solidus
    'a<b>c:d"e|f?g*h.txt',
    'name.' + 'e'.repeat(40),
    '%2e%2e%2f',
    '\ud800.txt',
    '__proto__',
    'constructor',
  ),
  fc.constantFrom(...DEVICES),
  fc
    .array(fc.oneof(fc.constantFrom(...UNICODE_TRICKS, '/', '\\', '.', '..', ' ', 'a', 'Z'), fc.string()), {
      maxLength: 12,
    })
    .map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 1300 }),
);

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const CAP = 256;
/** Contents: each kind, empty, and text exactly at and one byte past the cap. */
const CONTENTS: Record<string, Buffer> = {
  png: PNG,
  pdf: Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1'),
  text: Buffer.from('2026-12-02T00:00:00Z ERROR disk full\n'),
  binary: Buffer.from([0, 1, 2, 255, 254, 0, 9, 0x80]),
  empty: Buffer.alloc(0),
  'text at cap': Buffer.alloc(CAP, 'a'),
  'text over cap': Buffer.alloc(CAP + 1, 'a'),
};

const TENANTS = ['acme', 'default', 'b-2'];
const keyArb = fc
  .tuple(
    fc.constantFrom(...TENANTS),
    fc.constantFrom('ops', '-100123', '5', 'x_Y-9'),
    fc.constantFrom('main', '42', 'T'),
  )
  .map(([tenant, chat, thread]) => conversationKey({ tenant, chat, thread }));

const policyArb: fc.Arbitrary<FilePolicy> = fc
  .subarray([...FILE_KINDS], { minLength: 1 })
  .map((allow) => ({ maxBytes: CAP, allow: allow as FileKind[] }));

/** `path` is below `root` (never `root` itself, never a sibling that shares its prefix). */
const below = (path: string, root: string): boolean => resolve(path).startsWith(`${resolve(root)}${sep}`);

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out;
}

let dir: string;
let storage: SqliteStorage;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-bounds-files-'));
  storage = createSqliteStorage({ dataDir: dir });
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bounds: attachments (names, sizes, kinds) through ingest into the real file store', () => {
  it("audit: send_file's input is bounded (the API's attachments are audited with CHAT_REQUEST)", () => {
    expect(boundIssues(z.object(SEND_FILE_INPUT))).toEqual([]);
  });

  it(`${RUNS} files: stored only under the tenant's namespace, refused only with FileRefusedError, names shown sanitised`, async () => {
    const figures = createFigures('attachments → sanitizeFileName → ingestFile → SQLite storage file store');
    const crashes = watchCrashes();
    const workspace = join(dir, 'workspace');
    const filesRoot = join(dir, 'files');
    const usedTenants = new Set<string>();
    let accepted = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          hostileName,
          fc.constantFrom(...Object.keys(CONTENTS)),
          keyArb,
          policyArb,
          fc.constantFrom('in' as const, 'out' as const),
          async (name, content, key, policy, direction) => {
            await yieldToEventLoop();
            const bytes = CONTENTS[content] as Buffer;
            const started = performance.now();
            const tags = [content, name === undefined ? 'no name' : nameClass(name)];
            const dirOf = conversationFilesDir(workspace, key);
            // What the API checks before anything is stored.
            const predicted = await assertAccepted(
              { name: name ?? '', size: bytes.byteLength, head: bytes.subarray(0, SNIFF_BYTES) },
              policy,
            ).then(
              () => 'accepted',
              (err: unknown) => (err instanceof FileRefusedError ? err.reason : `threw ${String(err)}`),
            );
            let outcome: string;
            try {
              const { file, path } = await ingestFile(storage.files, {
                key,
                direction,
                name,
                fallbackName: 'photo',
                body: Readable.from([bytes]),
                policy,
                dir: dirOf,
              });
              outcome = 'accepted';
              accepted++;
              usedTenants.add(key.tenant);
              checkStored(file, path, key, dirOf, filesRoot);
              const stored = await storage.files.get(key, file.id);
              expect(stored?.name).toBe(file.name);
              // What the model is told (the attachment note) and reads (the user message).
              const note = withAttachmentNotes(
                { text: 'see', messageTime: undefined, attachments: [file] },
                dirOf,
              ).text;
              // One line per note: the name can break neither the line nor the attribute.
              const notes = note.split('\n').slice(1);
              expect(notes).toHaveLength(1);
              expect(INVISIBLE.test(notes[0] ?? '')).toBe(false);
              expect(attribute(notes[0] ?? '', 'name')).toBe(file.name);
              expect(attribute(notes[0] ?? '', 'path')).toBe(workspacePath(dirOf, file));
              await buildUserMessage([{ text: 'see', messageTime: undefined, attachments: [file] }], dirOf);
              // What send_file would be given back: the same folder, the same name.
              const back = await openSendable(dirOf, join(file.id, file.name), CAP);
              expect(back.ok).toBe(true);
              if (back.ok) {
                expect(back.name).toBe(file.name);
                await back.handle.close();
              }
            } catch (err) {
              if (!(err instanceof FileRefusedError)) {
                figures.fail(`${JSON.stringify(name)?.slice(0, 80)} ${content}: ${String(err)}`);
                throw err;
              }
              outcome = err.reason;
              const shownName = err.details.name ?? '';
              expect(isSanitizedName(shownName)).toBe(true);
              expect(INVISIBLE.test(err.message)).toBe(false);
            }
            if (outcome !== predicted) figures.fail(`ingest ${outcome}, up-front check ${predicted}`);
            expect(outcome).toBe(predicted);
            figures.record(outcome, since(started), tags);
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
      // Nothing anywhere but under a tenant's folder, and nothing left in a workspace but placed files.
      const onDisk = filesUnder(filesRoot);
      expect(onDisk.length).toBe(accepted);
      for (const path of onDisk) expect(usedTenants.has(path.split(sep)[0] ?? '')).toBe(true);
      for (const path of filesUnder(workspace)) {
        expect(path.split(sep)[0]).toBe('files');
        expect(path.split(sep).some((s) => s.startsWith('.'))).toBe(false);
      }
    } finally {
      crashes.stop();
      figures.print({ 'accepted / refused': `${accepted} / ${figures.cases - accepted}` });
    }
    expect(crashes.crashes).toEqual([]);
    expect(figures.failures).toEqual([]);
    expect(accepted).toBeGreaterThan(100);
  });

  it(`${RUNS} names: sanitising is idempotent, bounded, one path segment, and what the Telegram ingress shows is sanitised`, () => {
    const figures = createFigures('file names → sanitizeFileName, Telegram document refusal text');
    fc.assert(
      fc.property(hostileName, fc.boolean(), (name, tooLarge) => {
        const started = performance.now();
        const clean = sanitizeFileName(name, 'file');
        expect(isSanitizedName(clean)).toBe(true);
        expect(Buffer.byteLength(clean)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(clean).not.toMatch(/[/\\]/);
        expect(['.', '..', '']).not.toContain(clean);
        expect(INVISIBLE.test(clean)).toBe(false);
        const message = {
          message_id: 1,
          date: 1,
          chat: { id: 5, type: 'private', first_name: 'a' },
          document: {
            file_id: 'F',
            file_unique_id: 'U',
            file_size: tooLarge ? CAP + 1 : CAP,
            ...(name === undefined ? {} : { file_name: name }),
          },
        } as Message;
        const content = contentOf(message, { maxBytes: CAP });
        expect(content?.type).toBe(tooLarge ? 'refused' : 'files');
        if (content?.type === 'refused') expect(INVISIBLE.test(content.reply)).toBe(false);
        figures.record(content?.type ?? 'none', since(started), [
          name === undefined ? 'no name' : nameClass(name),
        ]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    figures.print();
    expect(figures.failures).toEqual([]);
  });
});

/** Every place a stored file's name reaches is inside its namespace. */
function checkStored(
  file: StoredFile,
  path: string,
  key: ConversationKey,
  dirOf: string,
  filesRoot: string,
): void {
  expect(isSanitizedName(file.name)).toBe(true);
  expect(Buffer.byteLength(file.name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
  expect(INVISIBLE.test(file.name)).toBe(false);
  // The workspace copy: in the conversation's folder.
  expect(below(path, dirOf)).toBe(true);
  expect(path).toBe(workspacePath(dirOf, file));
  // The durable copy on local disk: under `<files>/<tenant>/`, and there.
  const durable = join(filesRoot, key.tenant, durablePart({ ...file, key }));
  expect(below(durable, join(filesRoot, key.tenant))).toBe(true);
  expect(statSync(durable).isFile()).toBe(true);
  // The S3 key the cloud store would write: under `tenants/<tenant>/files/`, no dot segments.
  const s3Key = `${tenantFilesPrefix(key)}${durablePart({ ...file, key })}`;
  expect(s3Key.startsWith(`tenants/${key.tenant}/files/`)).toBe(true);
  expect(s3Key.split('/').some((s) => s === '' || s === '.' || s === '..')).toBe(false);
}

/** An attribute of an `<attachment …/>` note, unescaped. */
function attribute(note: string, name: string): string | undefined {
  const raw = new RegExp(` ${name}="([^"]*)"`).exec(note)?.[1];
  const entities: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
  return raw?.replace(/&(amp|quot|apos|lt|gt);/g, (_, e: string) => entities[e] ?? '');
}

function nameClass(name: string): string {
  if (/[/\\]|\.\./.test(name)) return 'traversal';
  if (INVISIBLE.test(name)) return 'invisible';
  if (name.length >= 1024) return '1024+';
  if (/^[.\s]*$/.test(name)) return 'only dots/space';
  if (/^(con|prn|aux|nul|com|lpt)/i.test(name)) return 'device';
  if (name.normalize('NFC') !== name) return 'not NFC';
  return 'other';
}
