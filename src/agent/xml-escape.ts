/**
 * Escaping for the XML-ish notes the agent reads around a user's text (`<attachment …/>`,
 * `<message_from …/>`, `<reply_to …>…</reply_to>`): a value chosen by a user (a file name, a display
 * name, a quoted message) must not be able to end its tag or forge another one.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

const reference = (c: string): string => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;

// eslint-disable-next-line no-control-regex
const ATTRIBUTE = /[&<>"']|[\u0000-\u001f\u007f]/g;

/** XML attribute escaping; control characters (line breaks included) as numeric references. */
export function escapeAttribute(value: string): string {
  return value.replace(ATTRIBUTE, (c) => ENTITIES[c] ?? reference(c));
}

// eslint-disable-next-line no-control-regex
const TEXT = /[&<>"]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * XML element content escaping (`&`, `<`, `>`, `"`); line breaks and tabs are kept so a quoted
 * message reads as written, other control characters become numeric references.
 */
export function escapeText(value: string): string {
  return value.replace(TEXT, (c) => ENTITIES[c] ?? reference(c));
}

/** Bidirectional formatting characters (LRM/RLM, embeddings, overrides, isolates, ALM). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Bidirectional formatting characters as numeric references, so a name like `Alice\u202Enimda`
 * cannot show itself reversed to a person reading the transcript; the agent still sees they were
 * there. Apply to text already escaped (it adds `&`s of its own).
 */
export function revealBidi(escaped: string): string {
  return escaped.replace(BIDI, reference);
}
