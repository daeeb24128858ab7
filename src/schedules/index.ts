/**
 * Scheduled runs (issue 16): the schedule types and store seam, due-time computation (`croner`),
 * the schema of a schedule as people write it, the sync seam to the deployment's trigger, the
 * work item of a run, reconciling `schedules.yaml` into the store and the local (in-process)
 * scheduler. Drivers and the EventBridge sync are reached by subpath.
 */
export * from './types.js';
export * from './catch-up.js';
export * from './claims.js';
export * from './errors.js';
export * from './format.js';
export * from './local-scheduler.js';
export * from './reconcile.js';
export * from './spec.js';
export * from './service.js';
export * from './sync.js';
export * from './timing.js';
export * from './work.js';
