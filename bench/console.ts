/**
 * The web console's size and first render (issue 19: "keep it small, report the page weight, first
 * render ≤ 1 s locally"). The real app as `omnicloud serve` runs it (SQLite, the real runner and
 * `claude` binary, the offline demo model), seeded with a few turns, and Debian's Chromium through
 * playwright-core. For each main page:
 *
 * - `cold`: a fresh browser context per sample (empty cache, signed in through the form first), the
 *   page loaded once: first contentful paint and the `load` event from the browser's own Navigation
 *   and Paint Timing entries;
 * - `warm`: the same page reloaded in that context (script and stylesheet cached);
 * - weight: bytes of the document and every resource it loaded (Resource Timing `encodedBodySize`;
 *   the server sends them uncompressed) and the same bytes gzipped (what a compressing proxy or CDN
 *   would send), plus the request count.
 *
 *   npm run bench -- console [--samples 10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { startApiServer } from '../src/app/serve.js';
import { parseEnv } from '../src/config/env.js';
import { launchBrowser, signIn } from '../test/console/support/browser.js';
import { numberArg, spread } from './lib/stats.js';

const SAMPLES = numberArg('samples', 10);
const TOKEN = 'console-bench-token-7c1e9a3f5b2d4e6a8c0f1b3d5e7a9c2f';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Timing {
  fcp: number;
  load: number;
}

/** Read in the page: `load` from Navigation Timing, first contentful paint from Paint Timing. */
const TIMING_SCRIPT = `new Promise((resolve) => {
  const loaded = new Promise((ok) => (document.readyState === 'complete' ? ok() : addEventListener('load', () => ok())));
  const painted = new Promise((ok) => {
    const po = new PerformanceObserver((list) => {
      const e = list.getEntriesByName('first-contentful-paint')[0];
      if (e) { po.disconnect(); ok(e.startTime); }
    });
    po.observe({ type: 'paint', buffered: true });
    setTimeout(() => { po.disconnect(); ok(NaN); }, 5000);
  });
  Promise.all([loaded, painted]).then(([, fcp]) => {
    const nav = performance.getEntriesByType('navigation')[0];
    resolve({ fcp, load: nav.loadEventStart });
  });
})`;

const RESOURCES_SCRIPT = `[location.href, ...performance.getEntriesByType('resource').map((e) => e.name)]`;

async function timing(page: Page): Promise<Timing> {
  return (await page.evaluate(TIMING_SCRIPT)) as Timing;
}

async function weight(page: Page): Promise<{ bytes: number; gzip: number; requests: number }> {
  const urls = (await page.evaluate(RESOURCES_SCRIPT)) as string[];
  let bytes = 0;
  let gzip = 0;
  for (const url of urls) {
    const buf = await (await page.context().request.get(url)).body();
    bytes += buf.length;
    gzip += gzipSync(buf).length;
  }
  return { bytes, gzip, requests: urls.length };
}

const dir = await mkdtemp(join(tmpdir(), 'omni-console-bench-'));
const raw = {
  OMNICLOUD_DATA_DIR: join(dir, 'data'),
  API_AUTH_TOKEN: TOKEN,
  PATH: process.env['PATH'],
  HOME: process.env['HOME'],
};
const server = await startApiServer(parseEnv(raw), { rawEnv: raw, port: 0 });
const browser = await launchBrowser();
try {
  log('seeding: 6 turns in one conversation (one tool call), 4 more conversations');
  const chat = async (chatId: string, message: string): Promise<{ session_id: string }> => {
    const res = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ user_message: message, chat_id: chatId }),
    });
    return (await res.json()) as { session_id: string };
  };
  let sessionId = '';
  for (const message of [
    'hello',
    'stream 200 words',
    'call tool Read {"file_path":"/etc/hostname"}',
    '**bold** and `code`',
    'stream 50 words',
    'thanks',
  ]) {
    sessionId = (await chat('bench', message)).session_id;
  }
  for (let i = 0; i < 4; i++) await chat(`other-${i}`, `question ${i}`);

  const pages: Record<string, string> = {
    login: '/console/login',
    chat: '/console/t/default/chat/bench/main',
    conversations: '/console/t/default/conversations',
    transcript: `/console/t/default/sessions/${sessionId}`,
    usage: '/console/t/default/usage',
    approvals: '/console/t/default/approvals',
    schedules: '/console/t/default/schedules',
  };
  const setup = await browser.newContext({ baseURL: server.url });
  await signIn(await setup.newPage(), TOKEN);
  const cookies = await setup.cookies();
  await setup.close();
  const results: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(pages)) {
    const cold: Timing[] = [];
    const warm: Timing[] = [];
    let size = { bytes: 0, gzip: 0, requests: 0 };
    for (let i = 0; i < SAMPLES; i++) {
      // A new context has an empty cache; the session cookie is copied in, so nothing is preloaded.
      const context = await browser.newContext({
        baseURL: server.url,
        viewport: { width: 1280, height: 860 },
      });
      if (name !== 'login') await context.addCookies(cookies);
      const page = await context.newPage();
      const response = await page.goto(path);
      if (!response || response.status() !== 200)
        throw new Error(`[bench:console] ${path} answered ${response?.status()}`);
      cold.push(await timing(page));
      await page.reload();
      warm.push(await timing(page));
      if (i === 0) size = await weight(page);
      await context.close();
    }
    results[name] = {
      path: path.replace(sessionId, ':session'),
      cold_fcp_ms: spread(cold.map((t) => t.fcp)),
      cold_load_ms: spread(cold.map((t) => t.load)),
      warm_fcp_ms: spread(warm.map((t) => t.fcp)),
      ...size,
    };
    log(`${name}: ${JSON.stringify(results[name])}`);
  }
  process.stdout.write(
    `${JSON.stringify({ bench: 'console', samples: SAMPLES, cpus: cpus().length, load: loadavg().map((l) => Number(l.toFixed(2))), pages: results })}\n`,
  );
} finally {
  await browser.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
