// Skips that CI cannot ignore: with REQUIRE_SERVERS=1 (set by .ci/run) a suite or test that would be skipped for a
// missing server, binary or package fails instead, so a green CI means it really ran. Free of Jest-only imports so
// unit specs beside the code can use it too.

export const serversRequired = process.env.REQUIRE_SERVERS === '1';

/** `describe` when `missing` is empty; otherwise one notice and a skip, or a failing test under REQUIRE_SERVERS=1. */
export function describeUnlessMissing(missing: string, name: string, body: () => void): void {
  if (!missing) {
    describe(name, body);
    return;
  }
  if (serversRequired) {
    describe(name, () => {
      it('can run (REQUIRE_SERVERS=1)', () => {
        throw new Error(`${name}: ${missing}, and REQUIRE_SERVERS=1 forbids skipping`);
      });
    });
    return;
  }
  process.stdout.write(`[skipped] ${name}: ${missing}\n`);
  describe.skip(name, body);
}

/** The same for one test. */
export function itUnlessMissing(missing: string, name: string, body: jest.ProvidesCallback, timeout?: number): void {
  if (!missing) {
    it(name, body, timeout);
    return;
  }
  if (serversRequired) {
    it(name, () => {
      throw new Error(`${name}: ${missing}, and REQUIRE_SERVERS=1 forbids skipping`);
    });
    return;
  }
  process.stdout.write(`[skipped] ${name}: ${missing}\n`);
  it.skip(name, body, timeout);
}
