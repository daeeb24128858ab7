import { apiFetch } from '../csrf.js';

/**
 * The session page's actions, sent to the API (the console is a face on it): a form with
 * `data-api` (the route), `data-method` and `data-done` (where to go afterwards; `data-done-unchanged`
 * when the API answers `unchanged: true`) is sent with `apiFetch` instead of posted. Without this
 * script the same forms post to the console, which calls the same service.
 */
export function initConversations(): void {
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-api]')) {
    form.addEventListener('submit', (event) => void sendVia(form, event));
  }
}

async function sendVia(form: HTMLFormElement, event: SubmitEvent): Promise<void> {
  const { api, method, done } = form.dataset;
  if (!api || !method || !done) return; // Let the form post.
  event.preventDefault();
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
  const problem = form.querySelector<HTMLElement>('[role="alert"]');
  if (button) button.disabled = true;
  try {
    const response = await apiFetch(api, { method });
    const body = await jsonOf(response);
    if (response.ok) {
      const unchanged = isRecord(body) && body['unchanged'] === true;
      window.location.assign(
        unchanged && form.dataset['doneUnchanged'] ? form.dataset['doneUnchanged'] : done,
      );
      return;
    }
    const error = isRecord(body) && isRecord(body['error']) ? body['error']['message'] : undefined;
    show(problem, `Not done: ${typeof error === 'string' ? error : `HTTP ${response.status}`}`);
  } catch {
    show(problem, 'Not done: the server could not be reached.');
  }
  if (button) button.disabled = false;
}

async function jsonOf(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function show(problem: HTMLElement | null, message: string): void {
  if (!problem) return;
  problem.textContent = message;
  problem.hidden = false;
}
