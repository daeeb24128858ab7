/** The chat page's live parts. */
export function initChat(): void {}
