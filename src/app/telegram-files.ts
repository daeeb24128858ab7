import type { TenantId } from '../core/ids.js';
import { DEFAULT_FILE_POLICY, type FilePolicy } from '../files/types.js';
import type { Storage } from '../sessions/types.js';
import type { WorkerFiles } from '../telegram/worker/receive-files.js';
import type { ResolvedTenants } from '../tenants/index.js';

/**
 * The Telegram worker's files: the storage's durable file store and each tenant's policy (its
 * tenants-file `files` entry, else `DEFAULT_FILE_POLICY`; an unknown tenant gets the default,
 * though its messages never reach a worker).
 */
export function telegramFilesOf(storage: Pick<Storage, 'files'>, tenants: ResolvedTenants): WorkerFiles {
  return {
    store: storage.files,
    policy: (tenant: string): FilePolicy =>
      tenants.tenants.get(tenant as TenantId)?.files ?? DEFAULT_FILE_POLICY,
  };
}
