import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newContext, screenshot, signIn } from './support/browser.js';
import { CONSOLE_TOKEN, startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

/**
 * The usage, approvals and schedules pages in Chromium at phone width (390 px), against the real
 * app (`omnicloud serve`, the real `claude` binary, the offline demo model) with a tenants file
 * giving tenant `acme` a budget. Turns, approval requests and schedules are made through the API
 * (bearer token from Node), then read — and a schedule paused and resumed — through the pages.
 */
const TENANT = 'acme';
const CHAT = 'usage-e2e';
const DAY_BUDGET = 5;
const MONTH_BUDGET = 50;

let world: ConsoleWorld;
let page: Page;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-console-usage-'));
  const tenantsFile = join(dir, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    [
      'version: 1',
      'admin:',
      '  apiTokens: [{ env: CONSOLE_E2E_TOKEN }]',
      'tenants:',
      `  ${TENANT}:`,
      `    configDir: ${join(process.cwd(), 'agent-config')}`,
      '    budgets:',
      `      tenant: { dayUsd: ${DAY_BUDGET}, monthUsd: ${MONTH_BUDGET} }`,
      '',
    ].join('\n'),
  );
  world = await startConsoleWorld({ OMNICLOUD_TENANTS_FILE: tenantsFile, CONSOLE_E2E_TOKEN: CONSOLE_TOKEN });
  const context = await newContext(world.browser, world.url, true);
  page = await context.newPage();
  await signIn(page, CONSOLE_TOKEN, `/console/t/${TENANT}/usage`);
}, 90_000);

afterAll(async () => {
  await world?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A call to the real API with the bearer token, from Node (not the browser). */
async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${world.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function chat(text: string): Promise<Record<string, unknown>> {
  const res = await api('POST', '/v1/chat', { tenant: TENANT, chat_id: CHAT, user_message: text });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const turnsToday = async (): Promise<number> =>
  Number(await page.locator('[data-turns="today"]').textContent());

describe('usage, approvals and schedules pages in Chromium (390 px)', () => {
  it('shows figures against the budget, and a turn run through the app adds to them, the chart and the models', async () => {
    const started = Date.now();
    await page.goto(`/console/t/${TENANT}/usage`);
    const firstRender = Date.now() - started;
    const before = await turnsToday();
    // Budget meters with accessible names, the chart as an image with a summary, the budget line.
    await expect(
      page.getByRole('meter', { name: /Today \(UTC\): .* spent of a \$5\.00 budget/ }).count(),
    ).resolves.toBe(1);
    await expect(
      page.getByRole('meter', { name: /This month: .* spent of a \$50\.00 budget/ }).count(),
    ).resolves.toBe(1);
    const chart = page.getByRole('img', { name: /^Cost per day/ });
    expect(await chart.count()).toBe(1);
    expect(await page.locator('svg line.budget title').textContent()).toBe('Daily budget $5.00');

    const answer = await chat('stream 3 words');
    expect(answer['is_error']).toBe(false);
    const model = String(answer['model'] ?? '');
    expect(model).not.toBe('');

    await page.reload();
    expect(await turnsToday()).toBe(before + 1);
    expect(await page.locator('[data-turns="month"]').textContent()).toBe(String(before + 1));
    // The model's row in the table and its bar segment (with a hover title) in today's bar.
    const row = page.locator(`tr[data-model="${model}"]`);
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').first().textContent()).toBe(String(before + 1));
    const today = new Date().toISOString().slice(0, 10);
    const titles = await page.locator(`svg g.bar[data-date="${today}"] rect title`).allTextContents();
    expect(titles.some((t) => t.includes(model) && /turns?\)$/.test(t))).toBe(true);
    expect(await chart.getAttribute('aria-label')).toMatch(/in [1-9]\d* turns?/);
    // Readable at phone width: the chart scales to the viewport, nothing scrolls sideways.
    const box = await chart.boundingBox();
    expect(box?.width).toBeLessThanOrEqual(390);
    expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'usage');
    console.info(`[usage page] first render ${firstRender} ms`);
  }, 60_000);

  it('lists an approval request created through the app in the audit log', async () => {
    const answer = await chat('call tool Bash {"command":"touch /tmp/omni-console-usage-x"}');
    const pending = answer['pending_approval'] as { id: string } | undefined;
    expect(pending?.id).toBeTruthy();
    await page.goto(`/console/t/${TENANT}/approvals`);
    const row = page.locator(`tr[data-approval="${pending?.id}"]`);
    expect(await row.getAttribute('data-status')).toBe('pending');
    expect(await row.locator('td[data-label="Tool"]').textContent()).toBe('Bash');
    expect(await row.locator('td[data-label="Call"]').textContent()).toContain(
      'touch /tmp/omni-console-usage-x',
    );
    expect(await row.locator('td[data-label="Decision"]').textContent()).toMatch(/^Pending until/);
    expect(await row.locator('td[data-label="Conversation"]').textContent()).toBe(CHAT);

    // Denied through the API: the audit log says who decided what.
    const deny = await api('POST', `/v1/approvals/${pending?.id}`, { tenant: TENANT, decision: 'deny' });
    expect(deny.status).toBeLessThan(300);
    await page.reload();
    expect(await row.getAttribute('data-status')).toBe('deny');
    expect(await row.locator('td[data-label="Decided by"]').textContent()).not.toBe('–');
    await screenshot(page, 'approvals');
  }, 90_000);

  it('pauses and resumes a schedule through the page', async () => {
    const created = await api('POST', `/v1/schedules/${TENANT}`, {
      name: 'nightly-check',
      every: '1d',
      prompt: 'check the alarms',
      target: { chat: -1001234567890 },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    await page.goto(`/console/t/${TENANT}/schedules`);
    const row = page.locator('tr[data-schedule="nightly-check"]');
    expect(await row.getAttribute('data-paused')).toBe('false');
    expect(await row.locator('td[data-label="Next run"]').textContent()).toMatch(/UTC$/);

    // The page's script sends the PATCH and reloads the page itself: wait for the reloaded row.
    await row.getByRole('button', { name: 'Pause schedule nightly-check' }).click();
    await page.waitForSelector('tr[data-schedule="nightly-check"][data-paused="true"]');
    expect(await row.getAttribute('data-paused')).toBe('true');
    expect(await row.locator('td[data-label="Next run"]').textContent()).toBe('–');
    const viaApi = (await (await api('GET', `/v1/schedules/${TENANT}/nightly-check`)).json()) as {
      paused: boolean;
    };
    expect(viaApi.paused).toBe(true);
    await screenshot(page, 'schedules');

    // The page's script sends the PATCH and reloads the page itself: wait for the reloaded row.
    await row.getByRole('button', { name: 'Resume schedule nightly-check' }).click();
    await page.waitForSelector('tr[data-schedule="nightly-check"][data-paused="false"]');
    expect(await row.getAttribute('data-paused')).toBe('false');
  }, 60_000);

  it('refuses a pause without the CSRF field', async () => {
    const res = await page.request.post(`/console/t/${TENANT}/schedules/nightly-check/paused`, {
      form: { paused: 'true' },
    });
    expect(res.status()).toBe(403);
    const viaApi = (await (await api('GET', `/v1/schedules/${TENANT}/nightly-check`)).json()) as {
      paused: boolean;
    };
    expect(viaApi.paused).toBe(false);
  });
});
