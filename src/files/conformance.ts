import { describe } from 'vitest';
import type { FileStore, StoredFile } from './types.js';
import { failureTests } from './conformance/failures.js';
import { hostileTests } from './conformance/hostile.js';
import { isolationTests } from './conformance/isolation.js';
import { roundTripTests } from './conformance/round-trip.js';

/**
 * The file-store contract every backend passes (memory, local directory, S3). A backend's test
 * calls `runFileStoreConformance({ name, create })`; each test gets a fresh, empty store and cleans
 * it up. Every write is also checked through `raw`, which reads the backend with its own code and
 * its own spelling of the layout (docs/storage.md), so a bug mirrored in put and list still fails.
 *
 * Semantics pinned down beyond the comments of `FileStore` in `types.ts`:
 * - `get`, `list` and `open` give back the fields `put` was given (`mime` follows from name and
 *   kind), `open` streams the exact bytes; `list` is oldest first by `createdAt`, then by id;
 * - conversations and tenants are separate namespaces: a file id asked under another
 *   conversation's key is `undefined`, also when chat and thread are the same under two tenants;
 * - `get`/`open` of an unknown or malformed id is `undefined` and reads nothing outside the
 *   conversation (a path-like id naming another tenant's file finds nothing);
 * - `put` refuses (InvalidIdError) a file whose id, name, size or time could not be stored safely,
 *   and writes nothing; a `put` that fails (the source vanished, is not of `file.size` bytes)
 *   rejects and leaves nothing behind, neither for `list` nor in the raw backend.
 */
export interface RawFileBackend {
  /**
   * The bytes stored for `file`, read directly at the documented place
   * (`<tenant>/<chat>/<thread>/<id>/<direction>-<kind>-<createdAt>/<name>` under the store's root
   * or `tenants/<tenant>/files/…` in S3); null if absent.
   */
  readBytes(file: StoredFile): Promise<Buffer | null>;
  /** Every raw entry the backend holds, temporaries included, in the backend's own spelling. */
  listAll(): Promise<string[]>;
}

export interface FileStoreSubject {
  store: FileStore;
  raw: RawFileBackend;
  cleanup(): Promise<void>;
}

export interface FileStoreHarness {
  name: string;
  /** A fresh, empty store. */
  create(): Promise<FileStoreSubject>;
}

/** Registers the file-store conformance `describe`/`it` blocks for one backend. */
export function runFileStoreConformance(harness: FileStoreHarness): void {
  describe(`file store conformance: ${harness.name}`, () => {
    roundTripTests(harness);
    isolationTests(harness);
    hostileTests(harness);
    failureTests(harness);
  });
}
