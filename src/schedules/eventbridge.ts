/**
 * The EventBridge Scheduler trigger of schedules (AWS): the per-record sync (`createEventBridgeSync`),
 * the full reconcile of the store onto the schedule group (`reconcileEventBridge`, `omnicloud
 * schedules sync`) and the definition of one schedule. Loads `@aws-sdk/client-scheduler`: reach it
 * by this subpath only where schedules are synced (ingress, API, the CLI), never in the worker.
 */
export * from './eventbridge/definition.js';
export { createEventBridgeSync, type EventBridgeSyncOptions } from './eventbridge/sync.js';
export {
  reconcileEventBridge,
  type PlanEntry,
  type ReconcileOptions,
  type ReconcileResult,
} from './eventbridge/reconcile.js';
