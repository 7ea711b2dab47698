import { decoyHash, hashPassword, passwordProblem, verifyPassword } from './password-hashing';

const CHEAP = { log2N: 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('verifies the password it hashed and nothing else', async () => {
    const stored = await hashPassword('correct horse battery', CHEAP);
    expect(stored).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password here', CHEAP)).not.toBe(await hashPassword('same password here', CHEAP));
  });

  it('uses the default cost N = 2^15 (32 MiB, within the explicit maxmem)', async () => {
    const stored = await hashPassword('a default-cost password');
    expect(stored.startsWith('scrypt$15$8$1$')).toBe(true);
    await expect(verifyPassword('a default-cost password', stored)).resolves.toBe(true);
  });

  it('treats composed and decomposed Unicode the same (NFC)', async () => {
    const stored = await hashPassword('pass\u00e9word-long', CHEAP);
    await expect(verifyPassword('passe\u0301word-long', stored)).resolves.toBe(true);
  });

  it('never matches a malformed or absurd stored hash', async () => {
    await expect(verifyPassword('x', 'plaintext')).resolves.toBe(false);
    await expect(verifyPassword('x', `scrypt$40$8$1$${'a'.repeat(22)}$${'b'.repeat(43)}`)).resolves.toBe(false);
    await expect(verifyPassword('x', await decoyHash(CHEAP))).resolves.toBe(false);
  });

  it('refuses short and oversized new passwords', () => {
    expect(passwordProblem('short')).toBe('too_short');
    expect(passwordProblem('x'.repeat(1025))).toBe('too_long');
    expect(passwordProblem('twelve chars')).toBeNull();
  });
});
