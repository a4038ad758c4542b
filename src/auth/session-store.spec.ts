import { createSessionStore } from './session-store';

/** A stand-in for the pg pool: records each statement and answers at once. */
function fakePool() {
  const statements: string[] = [];
  return {
    statements,
    pool: {
      async query(text: string) {
        statements.push(text.split(' ')[0]);
        return { rows: [] };
      },
    },
  };
}

const sess = () => ({ cookie: { maxAge: 60_000, originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) } }) as never;
const call = (fn: (done: (err?: unknown) => void) => void) => new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

describe('the throttled session store', () => {
  it('writes a session’s expiry at most once per interval, and at once again after a save or a destroy', async () => {
    const { pool, statements } = fakePool();
    const store = createSessionStore({ pool: pool as never, tableName: 'sessions', pruneSessionInterval: false }, 60_000);
    await call((done) => store.touch!('a', sess(), done));
    await call((done) => store.touch!('a', sess(), done));
    await call((done) => store.touch!('b', sess(), done));
    expect(statements).toEqual(['UPDATE', 'UPDATE']);
    await call((done) => store.set('a', sess(), done));
    await call((done) => store.touch!('a', sess(), done));
    expect(statements).toEqual(['UPDATE', 'UPDATE', 'INSERT']);
    await call((done) => store.destroy('a', done));
    await call((done) => store.touch!('a', sess(), done));
    expect(statements).toEqual(['UPDATE', 'UPDATE', 'INSERT', 'DELETE', 'UPDATE']);
  });

  it('touches every time with an interval of 0', async () => {
    const { pool, statements } = fakePool();
    const store = createSessionStore({ pool: pool as never, tableName: 'sessions', pruneSessionInterval: false }, 0);
    for (let i = 0; i < 3; i++) await call((done) => store.touch!('a', sess(), done));
    expect(statements).toEqual(['UPDATE', 'UPDATE', 'UPDATE']);
  });
});
