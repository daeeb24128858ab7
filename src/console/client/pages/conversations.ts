/** The conversations page's live parts. */
export function initConversations(): void {}
