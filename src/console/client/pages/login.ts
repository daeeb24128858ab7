/**
 * The login page's live part: the one-click sign-in link `npm start` prints
 * (`/console/login#token=<token>`). The fragment never reaches the server or its logs; the script
 * takes the token from it, removes it from the address bar and history at once
 * (`history.replaceState`), fills the form and submits it — the same form post a person makes.
 */
export function initLogin(): void {
  const match = /^#token=([^&]+)$/.exec(window.location.hash);
  if (!match?.[1]) return;
  history.replaceState(null, '', `${window.location.pathname}${window.location.search}`);
  const form = document.getElementById('login-form');
  const field = document.getElementById('token');
  if (!(form instanceof HTMLFormElement) || !(field instanceof HTMLInputElement)) return;
  let token: string;
  try {
    token = decodeURIComponent(match[1]);
  } catch {
    return;
  }
  field.value = token;
  form.requestSubmit();
}
