import MarkdownIt from 'markdown-it';
import { inertText } from './untrusted.js';

/** Link targets a rendered transcript may carry: the web and mail, nothing that runs or embeds. */
const SAFE_LINK = /^(https?:|mailto:)/i;

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true });
md.validateLink = (url) => SAFE_LINK.test(url.trim());
md.disable(['image']);

const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (token) {
    token.attrSet('rel', 'noopener noreferrer nofollow');
    token.attrSet('referrerpolicy', 'no-referrer');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/**
 * Markdown a model or a user wrote, as HTML safe to put in a page: raw HTML is escaped (never
 * parsed), links only to http(s) and mailto (a `javascript:` link stays text), images are not
 * rendered (a beacon `![](https://…)` stays text; the CSP would block it anyway), bidi controls
 * are shown as code points.
 */
export function renderMarkdown(text: string): string {
  return md.render(inertText(text));
}
