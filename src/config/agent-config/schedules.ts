import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { SCHEDULE_SPEC_SCHEMA } from '../../schedules/spec.js';
import { MAX_SCHEDULES_PER_TENANT, type ScheduleSpec } from '../../schedules/types.js';
import { errnoCode, fieldPath, isNotFound, type IssueList } from './issues.js';

export const SCHEDULES_FILE = 'schedules.yaml';

const ENTRY_SHAPE =
  'must be a schedule: name, cron or every, prompt, target, and optionally timezone, model, agent, enabled';

/** The file around the entries; each entry is checked on its own by `SCHEDULE_SPEC_SCHEMA`. */
export const SCHEDULES_FILE_SCHEMA = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  schedules: z
    .array(z.unknown(), { error: 'must be a list of schedules' })
    .max(MAX_SCHEDULES_PER_TENANT, { error: `must hold at most ${MAX_SCHEDULES_PER_TENANT} schedules` }),
});

/**
 * Reads and validates `schedules.yaml` (optional): `version: 1` and `schedules:`, a list of entries
 * in the `SCHEDULE_SPEC_SCHEMA` shape. Every problem becomes an issue with the file and a field
 * (`schedules[2].cron`): YAML syntax (with its line), unknown keys, each entry's fields, a name used
 * twice, an `agent` that agents.json does not define. Returns the valid specs (empty without the
 * file, or when anything is wrong: the loader throws then anyway).
 */
export async function loadSchedules(
  dir: string,
  agentNames: ReadonlySet<string>,
  issues: IssueList,
): Promise<ScheduleSpec[]> {
  await refuseOtherSpelling(dir, issues);
  let text: string;
  try {
    text = await readFile(path.join(dir, SCHEDULES_FILE), 'utf8');
  } catch (err) {
    if (!isNotFound(err)) issues.add(SCHEDULES_FILE, '', `cannot read the file (${errnoCode(err)})`);
    return [];
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first line says where ("… at line 5, column 3"); the rest repeats the source.
    for (const e of doc.errors) {
      issues.add(SCHEDULES_FILE, '', `not valid YAML: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}`);
    }
    return [];
  }
  const content: unknown = doc.toJS();
  if (content === null || content === undefined) {
    issues.add(SCHEDULES_FILE, '', 'the file is empty: expected `version: 1` and `schedules:` (a list)');
    return [];
  }
  const file = SCHEDULES_FILE_SCHEMA.safeParse(content);
  if (!file.success) {
    issues.addZod(SCHEDULES_FILE, [], file.error);
    return [];
  }
  return checkEntries(file.data.schedules, agentNames, issues);
}

function checkEntries(
  entries: readonly unknown[],
  agentNames: ReadonlySet<string>,
  issues: IssueList,
): ScheduleSpec[] {
  const specs: ScheduleSpec[] = [];
  const firstIndex = new Map<string, number>();
  let failed = false;
  entries.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      failed = true;
      issues.add(SCHEDULES_FILE, fieldPath(['schedules', i]), ENTRY_SHAPE);
      return;
    }
    const parsed = SCHEDULE_SPEC_SCHEMA.safeParse(entry);
    if (!parsed.success) {
      failed = true;
      issues.addZod(SCHEDULES_FILE, ['schedules', i], parsed.error);
      return;
    }
    const spec = parsed.data;
    const earlier = firstIndex.get(spec.name);
    if (earlier !== undefined) {
      failed = true;
      issues.add(
        SCHEDULES_FILE,
        fieldPath(['schedules', i, 'name']),
        `"${spec.name}" is already the name of schedules[${earlier}]: names are unique`,
      );
    } else firstIndex.set(spec.name, i);
    if (spec.agent !== undefined && !agentNames.has(spec.agent)) {
      failed = true;
      const known = agentNames.size > 0 ? [...agentNames].join(', ') : 'none defined';
      issues.add(
        SCHEDULES_FILE,
        fieldPath(['schedules', i, 'agent']),
        `"${spec.agent}" is not an agent in agents.json (agents: ${known})`,
      );
    }
    specs.push(spec);
  });
  return failed ? [] : specs;
}

/** `schedules.yml` would otherwise be ignored silently: nothing would ever run. */
async function refuseOtherSpelling(dir: string, issues: IssueList): Promise<void> {
  try {
    await readFile(path.join(dir, 'schedules.yml'));
    issues.add('schedules.yml', '', `rename it to ${SCHEDULES_FILE}: only that name is read`);
  } catch {
    // absent (or unreadable): nothing to say
  }
}
