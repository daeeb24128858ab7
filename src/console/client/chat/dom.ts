/** Bidi controls and invisible marks (as `render/untrusted.ts`): shown as their code point. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

/** Text a model, tool or person wrote, made safe to show as text (the server's `inertText`). */
export function inert(text: string): string {
  return text.replace(
    BIDI_CONTROLS,
    (ch) => `[U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}

/**
 * A tiny element builder: attributes set as attributes, children as elements or text nodes (text
 * made inert: never parsed as HTML, bidi controls shown).
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children.map((c) => (typeof c === 'string' ? inert(c) : c)));
  return node;
}

/** An element the page must have: fails loudly (in the console) when the markup changed. */
export function must<T extends Element>(root: ParentNode, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`[console:chat] missing ${selector}`);
  return found;
}
