/** `2026-12-02 14:05 UTC` (the console shows UTC everywhere: usage days are UTC days). */
export function utcTime(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return '–';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
