import type { TenantId } from '../core/ids.js';
import { nextDue } from '../schedules/timing.js';
import { isActive, type ScheduleRecord, type ScheduleStore } from '../schedules/types.js';

/** One row of `omnicloud schedules list` (also its `--json` element). */
export interface ScheduleRow {
  tenant: string;
  name: string;
  /** `cron 0 9 * * 1-5` or `every 30m`. */
  timing: string;
  timezone: string;
  /** `-1001234` or `-1001234/42` or `-1001234/new` (or `/topic 812` once the topic exists). */
  target: string;
  state: 'active' | 'paused' | 'disabled';
  /** ISO time of the next due run (UTC), null while not active or never due. */
  nextRun: string | null;
  origin: ScheduleRecord['origin'];
}

export function scheduleRow(record: ScheduleRecord, now: number): ScheduleRow {
  const timing =
    record.timing.type === 'cron'
      ? `cron ${record.timing.expression}`
      : `every ${record.timing.every}${record.timing.unit[0]}`;
  const thread =
    record.target.thread === 'new' && record.topic !== undefined
      ? `/${record.topic}`
      : record.target.thread !== undefined
        ? `/${record.target.thread}`
        : '';
  const next = isActive(record) ? nextDue(record.timing, record.timezone, now) : null;
  return {
    tenant: record.tenant,
    name: record.name,
    timing,
    timezone: record.timezone,
    target: `${record.target.chat}${thread}`,
    state: isActive(record) ? 'active' : record.paused ? 'paused' : 'disabled',
    nextRun: next === null ? null : new Date(next).toISOString(),
    origin: record.origin,
  };
}

/** Every row of the tenants, by tenant then name. */
export async function listRows(
  store: ScheduleStore,
  tenants: readonly TenantId[],
  now: number,
): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for (const tenant of tenants) rows.push(...(await store.list(tenant)).map((r) => scheduleRow(r, now)));
  return rows;
}

const COLUMNS: Array<[keyof ScheduleRow, string]> = [
  ['tenant', 'TENANT'],
  ['name', 'NAME'],
  ['timing', 'TIMING'],
  ['timezone', 'ZONE'],
  ['target', 'TARGET'],
  ['state', 'STATE'],
  ['nextRun', 'NEXT RUN (UTC)'],
];

/** A plain aligned table (one line per schedule, a header first). */
export function formatTable(rows: readonly ScheduleRow[]): string[] {
  const cells = [
    COLUMNS.map(([, title]) => title),
    ...rows.map((row) => COLUMNS.map(([key]) => String(row[key] ?? '-'))),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) =>
    line
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}
