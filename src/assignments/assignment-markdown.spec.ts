import { renderInstructions } from './assignment-markdown';

describe('renderInstructions', () => {
  it('renders Markdown: emphasis, lists, links to the web in a new tab', () => {
    const html = renderInstructions('**Measure** M13:\n\n1. tick the frames\n2. run [photometry](https://example.org/help)');
    expect(html).toContain('<strong>Measure</strong>');
    expect(html).toContain('<li>tick the frames</li>');
    expect(html).toContain('<a href="https://example.org/help" target="_blank" rel="noopener noreferrer">photometry</a>');
  });

  it('shows raw HTML as text and drops links that could run script', () => {
    const html = renderInstructions('<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) [y](data:text/html,hi) [z](//evil.example)');
    expect(html).not.toMatch(/<script|<img|href="javascript|href="data|href="\/\/evil/);
    expect(html).toContain('&lt;script&gt;');
  });

  it('keeps portal paths as links', () => {
    expect(renderInstructions('[M13](/targets/1)')).toContain('<a href="/targets/1">M13</a>');
  });
});
