import type { MessageAuthor, MessageContext } from './types.js';
import { escapeAttribute, escapeText, revealBidi } from './xml-escape.js';

/**
 * Who sent a message and what it replies to, as the agent reads it (issue 17): one text block
 * after the message's `<message_time>` and before its text, one line per element, either absent:
 *
 * ```
 * <message_from name="Alice Smith" id="123456" username="alice"/>
 * <reply_to from="Bob Jones" id="654321" username="bob">the quoted text</reply_to>
 * ```
 *
 * A reply to the assistant's own message is `<reply_to from_assistant="true">…</reply_to>` (an
 * attribute no person's name can produce). `username` is left out when there is none, `from`/`id`
 * when the replied message's author is unknown. Every value is attribute-escaped (line breaks
 * included) and the quoted text element-escaped (line breaks kept); bidirectional formatting
 * characters become numeric references: what a user typed can neither end a tag nor forge another.
 * The block is a separate one so the message's text stays exactly what the user typed.
 */
export function contextBlock(context: MessageContext): { type: 'text'; text: string } | undefined {
  const text = contextText(context);
  return text === undefined ? undefined : { type: 'text', text };
}

/** The block's text (`contextBlock`), or undefined when the message has neither sender nor quote. */
export function contextText(context: MessageContext): string | undefined {
  const lines: string[] = [];
  if (context.sender) lines.push(`<message_from ${authorAttributes(context.sender, 'name')}/>`);
  const quote = context.quote;
  if (quote) {
    const attrs = quote.fromAssistant
      ? ' from_assistant="true"'
      : quote.from
        ? ` ${authorAttributes(quote.from, 'from')}`
        : '';
    lines.push(`<reply_to${attrs}>${revealBidi(escapeText(quote.text))}</reply_to>`);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** `name="…" id="…" [username="…"]`, the name's attribute called `nameAttribute`. */
function authorAttributes(author: MessageAuthor, nameAttribute: 'name' | 'from'): string {
  const attrs: Array<[string, string]> = [
    [nameAttribute, author.name],
    ['id', author.id],
    ...(author.username !== undefined ? ([['username', author.username]] as Array<[string, string]>) : []),
  ];
  return attrs.map(([k, v]) => `${k}="${revealBidi(escapeAttribute(v))}"`).join(' ');
}
