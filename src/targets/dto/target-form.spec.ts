import { parseKeyValueLines, parseTargetForm, targetToForm } from './target-form';
import { Target } from '../target.entity';

describe('parseTargetForm', () => {
  it('reads sexagesimal coordinates into degrees', () => {
    const { fields, errors } = parseTargetForm({ name: ' M13 ', type: 'sidereal', ra: '16:41:41.6', dec: '+36:27:41' });
    expect(errors).toEqual({});
    expect(fields.name).toBe('M13');
    expect(fields.ra).toBeCloseTo(250.42333, 4);
    expect(fields.dec).toBeCloseTo(36.46139, 4);
    expect(fields.epoch).toBe(2000);
    expect(fields.visibility).toBe('private');
  });

  it('puts a message on each impossible field', () => {
    const { errors } = parseTargetForm({ name: '', type: 'sidereal', ra: '361', dec: '-91', epoch: 'soon' });
    expect(Object.keys(errors).sort()).toEqual(['dec', 'epoch', 'name', 'ra']);
    expect(errors.dec).toMatch(/-90 and \+90/);
  });

  it('requires coordinates for sidereal targets only', () => {
    expect(parseTargetForm({ name: 'X', type: 'sidereal' }).errors).toMatchObject({ ra: expect.any(String), dec: expect.any(String) });
    const comet = parseTargetForm({ name: 'C/2020 F3', type: 'non_sidereal', scheme: 'MPC_COMET', elements: 'eccentricity = 0.999' });
    expect(comet.errors).toEqual({});
    expect(comet.fields.elements).toEqual({ eccentricity: 0.999 });
    expect(comet.fields.ra).toBeNull();
  });

  it('refuses unknown schemes, unknown elements and non-numeric elements', () => {
    expect(parseTargetForm({ name: 'a', type: 'non_sidereal', scheme: 'TLE' }).errors.scheme).toBeDefined();
    expect(parseTargetForm({ name: 'a', type: 'non_sidereal', scheme: 'MPC_COMET', elements: 'colour = red' }).errors.elements).toMatch(/Unknown element/);
    expect(parseTargetForm({ name: 'a', type: 'non_sidereal', scheme: 'MPC_COMET', elements: 'inclination = steep' }).errors.elements).toMatch(/number/);
  });

  it('splits aliases, drops duplicates and refuses an alias equal to the name', () => {
    expect(parseTargetForm({ name: 'M13', ra: '1', dec: '1', aliases: 'NGC 6205, NGC 6205,\nHercules' }).fields.aliases).toEqual(['NGC 6205', 'Hercules']);
    expect(parseTargetForm({ name: 'M13', ra: '1', dec: '1', aliases: 'm13' }).errors.aliases).toBeDefined();
  });

  it('reads who may see it: private by default, a class with its id, and refuses what it cannot read', () => {
    const base = { name: 'M13', ra: '1', dec: '1' };
    expect(parseTargetForm(base).fields).toMatchObject({ visibility: 'private', classroomId: null });
    expect(parseTargetForm({ ...base, visibility: 'class:7' }).fields).toMatchObject({ visibility: 'class', classroomId: 7 });
    expect(parseTargetForm({ ...base, visibility: 'class', classroomId: '8' }).fields).toMatchObject({ visibility: 'class', classroomId: 8 });
    expect(parseTargetForm({ ...base, visibility: 'public', classroomId: '8' }).fields).toMatchObject({ visibility: 'public', classroomId: null });
    expect(parseTargetForm({ ...base, visibility: 'class' }).errors.visibility).toBe('Choose the class to share with');
    expect(parseTargetForm({ ...base, visibility: 'everyone' }).errors.visibility).toMatch(/private, a class, or public/);
  });

  it('refuses control characters in names', () => {
    expect(parseTargetForm({ name: 'bad\u0000name', ra: '1', dec: '1' }).errors.name).toBeDefined();
  });
});

describe('key = value lines', () => {
  it('reads lines and names the bad one', () => {
    expect(parseKeyValueLines('a = 1\n\n b=two words ')).toEqual({ values: { a: '1', b: 'two words' } });
    expect(parseKeyValueLines('a = 1\nnonsense').error).toBe('Line 2: write each entry as "key = value"');
  });

  it('round-trips a target through the edit form', () => {
    const target = Object.assign(new Target(), {
      name: 'M13', aliases: ['NGC 6205'], type: 'sidereal', ra: 250.4235, dec: 36.4613, epoch: 2000, pmRa: null, pmDec: null,
      scheme: null, elements: {}, extra: { constellation: 'Hercules' }, visibility: 'public',
    });
    const { fields, errors } = parseTargetForm(targetToForm(target));
    expect(errors).toEqual({});
    expect(fields).toMatchObject({ name: 'M13', aliases: ['NGC 6205'], ra: 250.4235, dec: 36.4613, extra: { constellation: 'Hercules' }, visibility: 'public' });
  });

  it('cleans names, aliases and extra fields by the text rule', () => {
    const { fields, errors } = parseTargetForm({
      name: ' M13\u200B ',
      ra: '1',
      dec: '1',
      aliases: 'NGC\u00a06205, NGC 6205\uFEFF, Me\u0301sza\u0301ros',
      extra: 'con\u200Bstellation = Her\u00adcules\n\uFEFFnote = M\u00e9sz\u00e1ros',
    });
    expect(errors).toEqual({});
    expect(fields.name).toBe('M13');
    expect(fields.aliases).toEqual(['NGC 6205', 'Mészáros']);
    expect(fields.extra).toEqual({ constellation: 'Hercules', note: 'Mészáros' });
  });

  it('refuses bidi controls, control characters and over-long values, field by field', () => {
    const { errors } = parseTargetForm({
      name: 'M13\u202Egnp',
      ra: '1',
      dec: '1',
      aliases: 'x'.repeat(101),
      extra: `note = ${'x'.repeat(1001)}`,
    });
    expect(errors.name).toBe('The name cannot contain bidirectional control characters (they change how the text around them is shown)');
    expect(errors.aliases).toBe('An alias is at most 100 characters (this one has 101)');
    expect(errors.extra).toBe("Line 1: An extra field's value is at most 1000 characters (this one has 1001)");
    expect(parseTargetForm({ name: '\u200B', ra: '1', dec: '1' }).errors.name).toBe('A name is required');
    expect(parseTargetForm({ name: 'x'.repeat(100_000), ra: '1', dec: '1' }).errors.name).toBe('The name is at most 100 characters');
  });

  it('caps the number of aliases and extra fields', () => {
    const many = Array.from({ length: 51 }, (_, i) => `a${i}`);
    expect(parseTargetForm({ name: 'M13', ra: '1', dec: '1', aliases: many.join(',') }).errors.aliases).toBe('A target has at most 50 aliases');
    expect(parseTargetForm({ name: 'M13', ra: '1', dec: '1', extra: many.map((key) => `${key} = 1`).join('\n') }).errors.extra).toBe('At most 50 entries');
  });

  it('refuses form fields that are not text instead of failing', () => {
    const body = { name: 'M13', ra: '1', dec: '1', aliases: ['a', 'b'], extra: ['x = 1'] } as never;
    expect(parseTargetForm(body).errors).toMatchObject({ aliases: 'Write the aliases as text, separated by commas', extra: 'Write the entries as text, one "key = value" per line' });
  });
});

