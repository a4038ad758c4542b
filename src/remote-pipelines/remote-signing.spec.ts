import { createHmac } from 'node:crypto';
import { sign, signedHeaders, signaturesMatch, signer, timestampProblem } from './remote-signing';

describe('remote-signing', () => {
  it('signs the timestamp, a dot and the raw body with HMAC-SHA256, in one piece or many', () => {
    const expected = `sha256=${createHmac('sha256', 'shh').update('1700000000.{"id":"a"}').digest('hex')}`;
    expect(sign('shh', '1700000000', '{"id":"a"}')).toBe(expected);
    const pieces = signer('shh', '1700000000');
    pieces.update(Buffer.from('{"id"'));
    pieces.update(':"a"}');
    expect(pieces.signature()).toBe(expected);
    expect(signaturesMatch(expected, expected)).toBe(true);
    expect(signaturesMatch(expected, sign('other', '1700000000', '{"id":"a"}'))).toBe(false);
    expect(signaturesMatch(expected, 'sha256=short')).toBe(false);
  });

  it('gives the headers a request is sent with', () => {
    const headers = signedHeaders('shh', '', 1_700_000_000_900);
    expect(headers).toEqual({ 'X-Portal-Timestamp': '1700000000', 'X-Portal-Signature': sign('shh', '1700000000', '') });
  });

  it('accepts timestamps within five minutes either way', () => {
    const now = 1_700_000_000_000;
    expect(timestampProblem('1700000000', now)).toBeNull();
    expect(timestampProblem('1700000300', now)).toBeNull();
    expect(timestampProblem('1699999699', now)).toBe("x-portal-timestamp is 301 s from the portal's clock; at most 300 s is accepted");
    expect(timestampProblem(undefined, now)).toBe('x-portal-timestamp must be the time in Unix seconds');
    expect(timestampProblem('1700000000.5', now)).toBe('x-portal-timestamp must be the time in Unix seconds');
  });
});
