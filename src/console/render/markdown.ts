import MarkdownIt from 'markdown-it';
import { inertText } from './untrusted.js';

/** Link targets a rendered transcript may carry: the web and mail, nothing that runs or embeds. */
const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

/**
 * Longest text parsed as Markdown. Some inputs make markdown-it's inline parser slow (200 000
 * characters of `[[`: ~1.3 s); longer text is shown as escaped preformatted text instead, which
 * costs linear time and loses nothing.
 */
export const MARKDOWN_MAX_CHARS = 50_000;

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true });
// markdown-it has decoded entities and percent-encoded controls by now: `JaVaScRiPt&#58;`,
// `java&#x09;script:` and ` javascript:` all fail this allow-list.
md.validateLink = (url) => SAFE_LINK.test(url);

// A link whose address failed the check keeps its text but gets no anchor (markdown-it would
// otherwise emit `href=""`, e.g. for `[a]()`).
md.core.ruler.push('drop_empty_links', (state) => {
  for (const block of state.tokens) {
    if (!block.children) continue;
    const dropped: boolean[] = [];
    block.children = block.children.filter((token) => {
      if (token.type === 'link_open') {
        const drop = !token.attrGet('href');
        dropped.push(drop);
        return !drop;
      }
      if (token.type === 'link_close') return !dropped.pop();
      return true;
    });
  }
});

const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (token) {
    // A title is a tooltip nobody needs, and a place for look-alike attribute text: dropped.
    token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'title');
    token.attrSet('rel', 'noopener noreferrer nofollow');
    token.attrSet('referrerpolicy', 'no-referrer');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

// An image (`![alt](url)`, a beacon when it loads) is shown as text naming its address: never an
// `<img>`, never a link one might click by mistake.
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx];
  const alt = token?.children?.map((child) => child.content).join('') ?? '';
  const src = token?.attrGet('src') ?? '';
  const text = `[image${alt ? `: ${alt}` : ''}${src ? ` → ${src}` : ''}]`;
  return `<span class="md-image">${md.utils.escapeHtml(text)}</span>`;
};

/**
 * Markdown a model or a user wrote, as HTML safe to put in a page: raw HTML is escaped (never
 * parsed), links only to http(s) and mailto (a `javascript:`, `data:` or `vbscript:` link stays
 * text), images shown as text (a beacon `![](https://…)` never loads), bidi controls shown as code
 * points, NULs dropped. Text over `MARKDOWN_MAX_CHARS` is shown preformatted, unparsed.
 */
export function renderMarkdown(text: string): string {
  const inert = inertText(text);
  if (inert.length > MARKDOWN_MAX_CHARS) {
    return `<pre class="md-plain">${md.utils.escapeHtml(inert)}</pre>\n`;
  }
  return md.render(inert);
}
