import { viewHelpers } from './view-helpers';

describe('view helpers', () => {
  it('under: a nav section is current on its own page and the pages below it, not on look-alike paths', () => {
    const under = viewHelpers.under;
    expect(under('/targets', '/targets')).toBe(true);
    expect(under('/targets/12/gallery', '/targets')).toBe(true);
    expect(under('/target-lists', '/targets')).toBe(false);
    expect(under('/groups', '/targets')).toBe(false);
    expect(under(undefined, '/targets')).toBe(false);
  });
});
