import { randomBytes } from 'node:crypto';
import { HDNodeWallet } from 'ethers';
import { startLitecoind, type LitecoinRegtest } from '@coinstile/testkit';
import { deriveAddresses, descriptorChecksum, isValidAddress, parseAddress, parseReceivingWallet } from '@coinstile/wallet-verifier';
import { decodeExtendedPublicKey, encodeExtendedPublicKey } from '../../src/addresses/extended-public-key';

const TPUB_VERSION = 0x043587cf;

/** JSON-RPC on a named wallet other than the testkit's funded one. */
async function walletCall<T>(node: LitecoinRegtest, wallet: string, method: string, params: unknown[]): Promise<T> {
  const url = new URL(`${node.rpcUrl}/wallet/${wallet}`);
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
    body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result: T; error: { message: string } | null };
  if (body.error !== null) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

describe('receiving addresses against litecoind regtest', () => {
  let node: LitecoinRegtest;
  const root = HDNodeWallet.fromSeed(randomBytes(32));
  const account = root.derivePath("m/84'/1'/0'").neuter();
  const tpub = encodeExtendedPublicKey(decodeExtendedPublicKey(account.extendedKey), TPUB_VERSION);
  const wallet = parseReceivingWallet('LTC', 'regtest', tpub);
  const addresses = deriveAddresses(wallet, 0, 20);
  const withOrigin = `wpkh([${root.fingerprint.slice(2)}/84h/1h/0h]${tpub}/0/*)`;

  beforeAll(async () => {
    node = await startLitecoind();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('derives 20 rltc1 addresses the node calls valid', async () => {
    expect(new Set(addresses).size).toBe(20);
    for (const address of addresses) {
      expect(address).toMatch(/^rltc1q[0-9a-z]{38}$/);
      const info = await node.rpc<{ isvalid: boolean; iswitness: boolean; witness_version: number }>('validateaddress', [address]);
      expect(info).toMatchObject({ isvalid: true, iswitness: true, witness_version: 0 });
      expect(isValidAddress('litecoin', 'regtest', address)).toBe(true);
    }
  });

  it('computes the checksum getdescriptorinfo computes, and the node derives the same 20 addresses', async () => {
    for (const descriptor of [withOrigin, wallet.kind === 'p2wpkh' ? wallet.descriptor.split('#')[0]! : '']) {
      const info = await node.rpc<{ checksum: string }>('getdescriptorinfo', [descriptor]);
      expect(descriptorChecksum(descriptor)).toBe(info.checksum);
      const nodeAddresses = await node.rpc<string[]>('deriveaddresses', [`${descriptor}#${info.checksum}`, [0, 19]]);
      expect(nodeAddresses).toEqual(addresses);
    }
    const fromDescriptor = parseReceivingWallet('LTC', 'regtest', `${withOrigin}#${descriptorChecksum(withOrigin)}`);
    expect(deriveAddresses(fromDescriptor, 0, 20)).toEqual(addresses);
  });

  it('a watch-only wallet importing the descriptor watches exactly these addresses and sees a payment to one', async () => {
    await node.rpc('createwallet', ['watch', true, true]);
    const imported = await walletCall<{ success: boolean }[]>(node, 'watch', 'importmulti', [
      [{ desc: `${withOrigin}#${descriptorChecksum(withOrigin)}`, range: [0, 19], timestamp: 'now', watchonly: true }],
      { rescan: false },
    ]);
    expect(imported[0]?.success).toBe(true);
    for (const address of addresses) {
      const info = await walletCall<{ iswatchonly: boolean; ismine: boolean }>(node, 'watch', 'getaddressinfo', [address]);
      expect(info).toMatchObject({ iswatchonly: true, ismine: false });
    }

    const paid = addresses[7]!;
    const txid = await node.sendToAddress(paid, '1.25');
    await node.mine(1);

    const scan = await node.rpc<{ success: boolean; unspents: { txid: string; scriptPubKey: string; amount: number }[] }>(
      'scantxoutset',
      ['start', [`addr(${paid})`]],
    );
    expect(scan.success).toBe(true);
    const script = Buffer.from(parseAddress('litecoin', 'regtest', paid).outputScript!).toString('hex');
    expect(scan.unspents).toEqual([expect.objectContaining({ txid, scriptPubKey: script, amount: 1.25 })]);

    const received = await walletCall<{ address: string; amount: number }[]>(node, 'watch', 'listreceivedbyaddress', [1, false, true]);
    expect(received).toEqual([expect.objectContaining({ address: paid, amount: 1.25 })]);
  });
});
