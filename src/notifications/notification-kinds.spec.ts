import { BadRequestException } from '@nestjs/common';
import { notificationEmail } from './notification-email';
import { cleanNotification, NOTIFICATION_KINDS, portalPath } from './notification-kinds';
import { parsePreferenceForm } from './notification-preferences-form';
import { readRequest } from './notification-read-request';

const USER = '6f1c2d4e-0000-4000-8000-000000000001';

describe('notification texts and links', () => {
  it('keeps a portal path and nothing that would lead elsewhere', () => {
    expect(portalPath('/pipeline/12')).toBe('/pipeline/12');
    expect(portalPath(' /assignments/3?tab=work#mine ')).toBe('/assignments/3?tab=work#mine');
    for (const link of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', 'pipeline/12', '/a b', '/a\u0000b', `/${'x'.repeat(600)}`, 12, null, undefined]) {
      expect(portalPath(link)).toBeNull();
    }
  });

  it('cleans the title and body by the text rule, keeps the body\'s lines, cuts both to their limits', () => {
    const clean = cleanNotification({
      userId: USER,
      kind: 'feedback',
      title: 'Feedback\u200b on \u202eM13\u202c\n',
      body: 'Line one\r\nLine\u0007 two\n\n\n\nLast\u2029line',
      link: 'https://elsewhere.example',
    });
    expect(clean).toEqual({ userId: USER, kind: 'feedback', title: 'Feedback on M13', body: 'Line one\nLine two\n\nLast\nline', link: null });
    const long = cleanNotification({ userId: USER, kind: 'run-ended', title: 'T'.repeat(500), body: 'b'.repeat(5000) });
    expect(Array.from(long.title)).toHaveLength(200);
    expect(long.title.endsWith('…')).toBe(true);
    expect(Array.from(long.body!)).toHaveLength(2000);
    expect(cleanNotification({ userId: USER, kind: 'due-soon', title: '  ', body: ' \n ' })).toMatchObject({ title: 'due-soon', body: null, link: null });
  });

  it('writes an email with the title as subject, the text, the full link and where to turn it off', () => {
    const email = notificationEmail(
      { userId: USER, kind: 'run-ended', title: 'Your run of Timelapse on M13 succeeded', body: 'Run timelapse_1: Finished', link: '/pipeline/7' },
      { email: 'ann@school.example', username: 'ann', displayName: 'Ann Lee' },
      'https://portal.school.example/',
    );
    expect(email.to).toEqual({ name: 'Ann Lee', address: 'ann@school.example' });
    expect(email.subject).toBe('Your run of Timelapse on M13 succeeded');
    expect(email.text).toContain('Hello Ann Lee,');
    expect(email.text).toContain('Run timelapse_1: Finished');
    expect(email.text).toContain('Open it in the portal: https://portal.school.example/pipeline/7');
    expect(email.text).toContain('https://portal.school.example/profile#notifications');
  });
});

describe('the notifications forms', () => {
  it('reads the preferences form: ticked boxes on, absent ones off', () => {
    const choices = parsePreferenceForm({ _csrf: 't', 'portal:run-ended': 'on', 'email:feedback': 'on', 'portal:feedback': true });
    expect(Object.keys(choices)).toEqual([...NOTIFICATION_KINDS]);
    expect(choices['run-ended']).toEqual({ inPortal: true, byEmail: false });
    expect(choices.feedback).toEqual({ inPortal: true, byEmail: true });
    expect(choices['due-soon']).toEqual({ inPortal: false, byEmail: false });
  });

  it('refuses the whole preferences form for a field it does not have or a value a checkbox does not send', () => {
    for (const body of [{ 'portal:run-ended': 'on', x: '1' }, { 'portal:run-ended': 'yes' }, { 'email:nothing': 'on' }, [], 'on', null, JSON.parse('{"__proto__": "on"}')]) {
      expect(() => parsePreferenceForm(body)).toThrow(BadRequestException);
    }
  });

  it('reads which notifications to mark read: ids or all, exactly one of them', () => {
    expect(readRequest({ ids: '5' })).toEqual([5]);
    expect(readRequest({ ids: [5, 6, 5] })).toEqual([5, 6]);
    expect(readRequest({ all: 'on', _csrf: 'x' })).toBe('all');
    expect(readRequest({ all: true, ids: undefined })).toBe('all');
    expect(readRequest({ all: false, ids: [3] })).toEqual([3]);
    for (const body of [{}, { ids: [] }, { all: 'yes' }, { ids: '1e308' }, { ids: ['0'] }, { all: true, ids: [1] }, { ids: [1], other: 1 }, [], null]) {
      expect(() => readRequest(body)).toThrow(BadRequestException);
    }
  });
});
