import { sessionRoom, userRoom } from './live-rooms';

describe('live rooms', () => {
  it("names a user's room by the user id", () => {
    expect(userRoom('6f1c2d4e-0000-4000-8000-000000000001')).toBe('user:6f1c2d4e-0000-4000-8000-000000000001');
  });

  it("names a session's room by a digest, never by the session id itself", () => {
    const sid = 'Yt3kq8VvJ5m2-session-id-from-the-cookie';
    const room = sessionRoom(sid);
    expect(room).toMatch(/^session:[A-Za-z0-9_-]{32}$/);
    expect(room).not.toContain(sid);
    expect(sessionRoom(sid)).toBe(room);
    expect(sessionRoom(`${sid}x`)).not.toBe(room);
  });
});
