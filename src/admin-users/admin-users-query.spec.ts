import { BadRequestException } from '@nestjs/common';
import { parseUserListQuery } from './admin-users-query';

describe('parseUserListQuery', () => {
  it('reads the search, role, status and page', () => {
    expect(parseUserListQuery({ q: ' ada ', role: 'teacher', status: 'deactivated', limit: '20', offset: '40' })).toEqual({
      filters: { q: 'ada', role: 'teacher', active: false },
      params: { q: 'ada', role: 'teacher', status: 'deactivated' },
      page: { limit: 20, offset: 40 },
    });
    expect(parseUserListQuery({}).filters).toEqual({ q: undefined, role: undefined, active: undefined });
    expect(parseUserListQuery({ status: 'active' }).filters.active).toBe(true);
  });

  it('refuses an unknown role or status, and a bad page, naming the choices', () => {
    expect(() => parseUserListQuery({ role: 'owner' })).toThrow(new BadRequestException('role must be one of admin, teacher, student, not "owner"'));
    expect(() => parseUserListQuery({ status: 'gone' })).toThrow(/status must be one of active, deactivated/);
    expect(() => parseUserListQuery({ limit: '1000' })).toThrow(/limit must be a whole number from 1 to 200/);
  });
});
