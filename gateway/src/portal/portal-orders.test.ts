import { decodeReleaseCursor, encodeReleaseCursor } from './portal-orders';

describe('release cursors', () => {
  it('round-trip the release time and checkout id', () => {
    const cursor = { releasedAt: new Date('2026-11-21T10:01:45.123Z'), checkoutId: 'co_01M7YRW1KH7CB9ATRF9X6DT0SG' };
    expect(decodeReleaseCursor(encodeReleaseCursor(cursor))).toEqual(cursor);
  });

  it('refuse anything this portal did not issue (400 invalid_cursor)', () => {
    const forged = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    for (const bad of ['garbage', forged('2026-11-21T10:01:45.123Z|st_01M7YRW1KH7CB9ATRF9X6DT0SG'), forged('yesterday|co_01M7YRW1KH7CB9ATRF9X6DT0SG'), forged('2026-11-21T10:01:45.123Z')]) {
      expect(() => decodeReleaseCursor(bad)).toThrow(expect.objectContaining({ code: 'invalid_cursor', httpStatus: 400 }));
    }
  });
});
