/** The login page's live parts. */
export function initLogin(): void {}
