import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { verifyReceiptCommand } from '../../../cli/src/commands/verify-receipt';
import { signCompactJws } from '../../src/receipts/compact-jws';
import { ed25519PublicX, ed25519Thumbprint, publicJwk } from '../../src/receipts/jwk';
import { RECEIPT_JWS_TYPE, type ReceiptClaims } from '../../src/receipts/receipt-claims';

/** The registration cli/src/main.ts carries, word for word. */
function program(): Command {
  const p = new Command().exitOverride();
  p.command('verify-receipt')
    .description('verify a signed Coinstile receipt offline and print its claims')
    .argument('<file>', 'the receipt (compact JWS, or the JSON of GET /v1/checkouts/{id}/receipt); - reads stdin')
    .requiredOption('--jwks <file|url>', 'the key set: a JWKS file or the /.well-known/jwks.json URL')
    .option('--store <id>', 'reject receipts of any other store')
    .option('--at <iso-instant>', 'judge key retirement at this instant instead of now')
    .action(verifyReceiptCommand);
  return p;
}

describe('coinstile verify-receipt as commander runs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinstile-verify-receipt-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  const x = ed25519PublicX(privateKey);
  const claims: ReceiptClaims = {
    iss: 'https://mall.example.com',
    sub: 'co_01JD0000000000000000000000',
    rcpt: 'rcpt_01JD0000000000000000000000',
    storeId: 'st_01JD0000000000000000000000',
    orderId: 'A-1042',
    priceMinor: '4980',
    currency: 'JPY',
    asset: 'LTC',
    amountReceivedBase: '55313',
    txids: [],
    payments: [],
    confirmations: 0,
    settledAt: '2026-11-21T08:00:00.000Z',
    iat: 1_795_000_000,
  };
  const receiptFile = join(dir, 'receipt.jws');
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(receiptFile, signCompactJws({ alg: 'EdDSA', typ: RECEIPT_JWS_TYPE, kid: ed25519Thumbprint(x) }, Buffer.from(JSON.stringify(claims)), privateKey));
  writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk(x, new Date('2027-01-01T00:00:00Z'))] }));
  let written: string[];
  let stdout: jest.SpyInstance;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    written = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });

  afterEach(() => {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = undefined;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--jwks, --store and --at reach the verifier; the exit code says the outcome', async () => {
    await program().parseAsync(['verify-receipt', receiptFile, '--jwks', jwksFile, '--store', claims.storeId, '--at', '2026-12-01T00:00:00Z'], { from: 'user' });
    expect(process.exitCode).toBe(0);
    expect(JSON.parse(written.join(''))).toEqual({ valid: true, claims });

    written = [];
    await program().parseAsync(['verify-receipt', receiptFile, '--jwks', jwksFile, '--store', 'st_01JDOTHER00000000000000000', '--at', '2026-12-01T00:00:00Z'], { from: 'user' });
    expect(process.exitCode).toBe(1);
    expect(written.join('')).toContain('receipt rejected (wrong_store)');

    written = [];
    await program().parseAsync(['verify-receipt', receiptFile, '--jwks', jwksFile, '--at', '2027-01-01T00:00:00Z'], { from: 'user' });
    expect(process.exitCode).toBe(1);
    expect(written.join('')).toContain('receipt rejected (key_retired)');
  });

  test('--jwks is required', async () => {
    await expect(program().parseAsync(['verify-receipt', receiptFile], { from: 'user' })).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
  });
});
