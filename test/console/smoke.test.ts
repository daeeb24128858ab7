import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, signIn } from './support/browser.js';
import { CONSOLE_TOKEN, startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

let world: ConsoleWorld;
beforeAll(async () => {
  world = await startConsoleWorld();
}, 60_000);
afterAll(async () => {
  await world?.close();
});

describe('web console in Chromium', () => {
  it('signs in with the API token and lands on the tenant chat page, with a strict CSP', async () => {
    const context = await newContext(world.browser, world.url);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await signIn(page, CONSOLE_TOKEN);
    expect(new URL(page.url()).pathname).toBe('/console/t/default/chat');
    const response = await page.goto('/console/t/default/chat');
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'omni_console')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(errors).toEqual([]);
    await context.close();
  });
});
