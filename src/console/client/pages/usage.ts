/** The usage page's live parts. */
export function initUsage(): void {}
