import MarkdownIt from 'markdown-it';

/**
 * Assignment instructions as HTML: Markdown with raw HTML off (typed tags show as text), and links only to
 * http(s), mailto and portal paths, so nothing in them can run script. Pure.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });
const SAFE_LINK = /^(https?:|mailto:|\/(?!\/)|#)/i;
markdown.validateLink = (url: string) => SAFE_LINK.test(url.trim());

// Links leave the portal in a new tab without giving the other page a handle on ours.
const defaultLinkOpen = markdown.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
markdown.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const href = String(tokens[idx].attrGet('href') ?? '');
  if (/^https?:/i.test(href)) {
    tokens[idx].attrSet('target', '_blank');
    tokens[idx].attrSet('rel', 'noopener noreferrer');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

export function renderInstructions(text: string): string {
  return markdown.render(text);
}
