import { describe, expect, it } from 'vitest';
import { parseEventRoutes, summarizeEventRoutes } from './events.js';
import { IssueList } from './issues.js';

const parse = (text: string) => {
  const issues = new IssueList();
  return { routes: parseEventRoutes(text, issues), issues: issues.items };
};

describe('events.yaml', () => {
  it('fills defaults and keeps file order', () => {
    const { routes, issues } = parse(`version: 1
routes:
  - name: prod
    match: { source: cloudwatch, alarm: "prod-*", state: ALARM }
    prompt: "Why is {{alarm}} in {{state}}? {{labels.team}}"
    target: { chat: -1001, thread: new }
  - name: rest
    prompt: "Look at {{title}}"
    target: { chat: 5, thread: 9 }
    model: haiku
    rateLimit: { max: 2, perMinutes: 10 }
`);
    expect(issues).toEqual([]);
    expect(routes.map((r) => [r.name, r.rateLimit])).toEqual([
      ['prod', { max: 5, perMinutes: 60 }],
      ['rest', { max: 2, perMinutes: 10 }],
    ]);
    expect(summarizeEventRoutes(routes)[1]).toBe(
      '    - prod: source=cloudwatch alarm=prod-* state=ALARM → chat -1001 thread new; ≤ 5 per 60 min',
    );
  });

  it('names the file and field of each problem', () => {
    const { issues } = parse(`version: 1
routes:
  - name: Bad Name
    prompt: "{{alarm}} {{nope}}"
    target: { chat: 0, thread: old }
    match: { source: email, extra: 1 }
`);
    const fields = issues.map((i) => `${i.file} ${i.field}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'events.yaml routes[0].name',
        'events.yaml routes[0].prompt',
        'events.yaml routes[0].target.chat',
        'events.yaml routes[0].target.thread',
        'events.yaml routes[0].match.source',
        'events.yaml routes[0].match.extra',
      ]),
    );
    expect(issues.find((i) => i.field === 'routes[0].prompt')?.message).toMatch(
      /unknown placeholder \{\{nope\}\}/,
    );
  });

  it('refuses duplicate names and bad YAML', () => {
    const dup = parse(
      'version: 1\nroutes:\n  - { name: a, prompt: x, target: { chat: 1 } }\n  - { name: a, prompt: y, target: { chat: 1 } }\n',
    );
    expect(dup.issues).toEqual([
      { file: 'events.yaml', field: 'routes[1].name', message: 'duplicate route name a' },
    ]);
    expect(parse('version: 1\nroutes: [\n').issues[0]?.message).toMatch(/^not valid YAML/);
  });
});
