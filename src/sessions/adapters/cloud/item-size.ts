/**
 * The size DynamoDB accounts for an item (what a write is billed on, in 1 KB units): per
 * attribute its UTF-8 name plus its value — strings by UTF-8 bytes, numbers ~1 byte per two
 * significant digits + 1, booleans/null 1, lists and maps 3 bytes + 1 per element (+ map keys).
 * Used by the transfer metrics so "bytes written" counts the whole item on every write, not only
 * the attributes an `UpdateItem` sent.
 */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') {
    const digits = String(Math.abs(value))
      .replace(/[.-]|e.*$/g, '')
      .replace(/^0+|0+$/g, '').length;
    return Math.ceil(Math.max(1, digits) / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    let size = 3;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) size += 1 + Buffer.byteLength(k) + valueSize(v);
    }
    return size;
  }
  return 0;
}
