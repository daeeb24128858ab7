/**
 * A forum topic name from a text: its first line, whitespace collapsed, at most `maxChars`
 * characters (Telegram allows 1–128), `fallback` when empty.
 */
export function topicName(text: string, maxChars = 60, fallback = 'New chat'): string {
  const line = (text.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= maxChars ? line || fallback : `${chars.slice(0, maxChars - 1).join('')}…`;
}
