import { apiFetch } from '../csrf.js';

/**
 * The usage, approvals and schedules pages (main.ts starts this for all three). The pages are
 * server-rendered and complete without script for reading; on the schedules page the Pause / Resume
 * forms are sent as `PATCH /v1/schedules/:tenant/:name` (the API's own route, CSRF header) and the
 * page reloads to show the stored state. A failure is said in the form's live region.
 */
export function initUsage(): void {
  if (document.body.dataset['page'] !== 'schedules') return;
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-schedule-name]')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void togglePaused(form);
    });
  }
}

async function togglePaused(form: HTMLFormElement): Promise<void> {
  const tenant = form.dataset['tenant'] ?? '';
  const name = form.dataset['scheduleName'] ?? '';
  const paused = new FormData(form).get('paused') === 'true';
  const status = form.querySelector<HTMLElement>('[role="status"]');
  const button = form.querySelector<HTMLButtonElement>('button');
  if (button) button.disabled = true;
  try {
    const res = await apiFetch(`/v1/schedules/${encodeURIComponent(tenant)}/${encodeURIComponent(name)}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paused }),
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      throw new Error(body?.error?.message ?? `the server answered ${res.status}`);
    }
    window.location.reload();
  } catch (err) {
    if (status) status.textContent = `Not changed: ${(err as Error).message}`;
    if (button) button.disabled = false;
  }
}
