import { loadAgentConfig } from '../config/agent-config/index.js';
import type { AppEnv } from '../config/env.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { reconcileConfigSchedules } from '../schedules/reconcile.js';
import { localSync } from '../schedules/sync.js';
import { loadTenants } from '../tenants/index.js';
import { schedulesCommandDeps } from './schedules-deps.js';
import type { SchedulesCommandDeps } from './schedules.js';
import { buildStores } from '../app/storage.js';

/**
 * What `omnicloud schedules list|sync` runs on: the schedule store of the configured storage (SQLite
 * locally, DynamoDB with `OMNICLOUD_STORAGE=cloud`) and the tenants file (no secrets are read).
 * `sync` first applies each tenant's `schedules.yaml` to the store (the store is then what every
 * trigger follows), then, on cloud storage, makes EventBridge Scheduler match the store.
 */
export async function schedulesCommandFor(
  env: AppEnv,
  rawEnv: Record<string, string | undefined>,
): Promise<SchedulesCommandDeps> {
  const logger = createLogger({ level: env.OMNICLOUD_LOG_LEVEL ?? 'warn' });
  const tenants = loadTenants({ file: env.OMNICLOUD_TENANTS_FILE, env });
  const stores = await buildStores(env, logger);
  const store = stores.storage.schedules;
  return schedulesCommandDeps({
    env,
    logger,
    store,
    tenants: [...tenants.tenants.keys()],
    close: () => stores.close(),
    async beforeSync({ tenants: ids, dryRun, io }) {
      for (const id of ids) {
        const tenant = tenants.tenants.get(id);
        if (!tenant) continue;
        const { schedules } = await loadAgentConfig(tenant.configDir, { env: rawEnv });
        if (dryRun) {
          io.out(
            `${id}: schedules.yaml has ${schedules.length} schedule(s) (dry run: the store is not written)`,
          );
          continue;
        }
        // The trigger side is synced right after, for every record: the store only here.
        const summary = await reconcileConfigSchedules({
          tenant: id,
          specs: schedules,
          store,
          sync: localSync,
          clock: systemClock,
        });
        io.out(
          `${id}: schedules.yaml → store: ${summary.created.length} created, ${summary.updated.length} updated, ` +
            `${summary.removed.length} removed, ${summary.unchanged.length} unchanged`,
        );
        for (const c of summary.conflicts) io.err(`${id}: ${c.name}: ${c.reason}`);
      }
    },
  });
}
