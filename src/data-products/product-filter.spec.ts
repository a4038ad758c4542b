import { parseProductFilter, scopeCondition } from './product-filter';

describe('the target page product filter', () => {
  it('reads scope and type, with the default scope when none is given', () => {
    expect(parseProductFilter({}, 'mine')).toEqual({ filter: { scope: 'mine', productType: null } });
    expect(parseProductFilter({ scope: ' class ', type: 'photometry' }, 'mine')).toEqual({ filter: { scope: 'class', productType: 'photometry' } });
    expect(parseProductFilter({ scope: '', type: '' }, 'everyone')).toEqual({ filter: { scope: 'everyone', productType: null } });
  });

  it('names the choices when a value cannot be read', () => {
    expect(parseProductFilter({ scope: 'all' }, 'mine')).toEqual({ error: 'scope must be one of mine, class, everyone' });
    expect(parseProductFilter({ type: 'poster' }, 'mine')).toHaveProperty('error', expect.stringContaining('type must be one of fits_image'));
    expect(parseProductFilter({ scope: ['mine', 'class'] }, 'mine')).toHaveProperty('error');
  });

  it('narrows by owner: the target owner (or nobody recorded) and me; then my students and my classes; everyone adds nothing', () => {
    const p = { targetOwner: '$1', me: '$2', students: '$3', classes: '$4' };
    expect(scopeCondition('everyone', 'x', p)).toBe('TRUE');
    expect(scopeCondition('mine', 'x', p)).toBe('(coalesce(x.uploaded_by_id, $1) = $1 OR x.uploaded_by_id = $2)');
    const cls = scopeCondition('class', 'x', p);
    expect(cls).toContain('x.uploaded_by_id = ANY($3)');
    expect(cls).toContain("x.visibility = 'class' AND x.classroom_id = ANY($4)");
  });
});
