/** The session's CSRF token, from `<meta name="csrf-token">` (every signed-in page has it). */
export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

/** `fetch` to this origin with the CSRF header (the cookie goes along on its own). */
export function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('x-csrf-token', csrfToken());
  return fetch(path, { ...init, headers, credentials: 'same-origin' });
}
