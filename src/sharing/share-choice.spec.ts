import { parseShareChoice, sameShare, shareOptions, shareValue } from './share-choice';

describe('share choices', () => {
  it('reads the page select and the API fields alike', () => {
    expect(parseShareChoice('private')).toEqual({ choice: { visibility: 'private', classroomId: null } });
    expect(parseShareChoice('public', 4)).toEqual({ choice: { visibility: 'public', classroomId: null } });
    expect(parseShareChoice('class:12')).toEqual({ choice: { visibility: 'class', classroomId: 12 } });
    expect(parseShareChoice('class', '12')).toEqual({ choice: { visibility: 'class', classroomId: 12 } });
    expect(parseShareChoice('class', 12)).toEqual({ choice: { visibility: 'class', classroomId: 12 } });
  });

  it('names what is wrong', () => {
    expect(parseShareChoice('class')).toEqual({ error: 'Choose the class to share with' });
    expect(parseShareChoice('class', 'x')).toEqual({ error: 'The class must be given by its id, a whole number' });
    expect(parseShareChoice('class', '0')).toEqual({ error: 'The class must be given by its id, a whole number' });
    expect(parseShareChoice('class:abc')).toHaveProperty('error');
    expect(parseShareChoice(undefined)).toHaveProperty('error');
    expect(parseShareChoice(['public'])).toHaveProperty('error');
  });

  it('offers private, the classes and public, with the current one selected, even a class not offered', () => {
    const options = shareOptions([{ id: 1, name: 'Class A' }], { visibility: 'class', classroomId: 9 }, 'Other class');
    expect(options).toEqual([
      { value: 'private', label: expect.stringContaining('Private'), selected: false },
      { value: 'class:1', label: 'Class: Class A', selected: false },
      { value: 'class:9', label: 'Class: Other class', selected: true },
      { value: 'public', label: expect.stringContaining('Public'), selected: false },
    ]);
    expect(shareValue({ visibility: 'class', classroomId: 3 })).toBe('class:3');
    expect(sameShare({ visibility: 'public', classroomId: null }, { visibility: 'public', classroomId: 5 })).toBe(true);
    expect(sameShare({ visibility: 'class', classroomId: 1 }, { visibility: 'class', classroomId: 2 })).toBe(false);
  });
});
