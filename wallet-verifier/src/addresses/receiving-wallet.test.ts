import fc from 'fast-check';
import { HDNodeWallet, Mnemonic } from 'ethers';
import { deriveAddress, deriveAddresses } from './derive-address';
import { bitcoinjs } from './esm-libraries';
import { descriptorChecksum } from './descriptor-checksum';
import { base58CheckDecode, base58CheckEncode } from './base58check';
import { decodeExtendedPublicKey, encodeExtendedPublicKey } from './extended-public-key';
import { parseReceivingWallet, type UtxoReceivingWallet } from './receiving-wallet';
import {
  DerivationIndexError,
  DescriptorChecksumError,
  MalformedWalletError,
  PrivateKeyRefusedError,
  UnsupportedWalletError,
  WalletKeyDepthError,
  WalletKeyError,
  WalletNetworkMismatchError,
} from './wallet-errors';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
// BIP84 test vectors (bitcoin/bips bip-0084.mediawiki) and SLIP-0132's zpub of the same account.
const BIP84_ZPUB =
  'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
const BIP84_ZPRV =
  'zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE';
const BIP84_ROOT_ZPRV =
  'zprvAWgYBBk7JR8Gjrh4UJQ2uJdG1r3WNRRfURiABBE3RvMXYSrRJL62XuezvGdPvG6GFBZduosCc1YP5wixPox7zhZLfiUm8aunE96BBa4Kei5';
const BIP84_FIRST_PRIVKEY_WIF = 'KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d';
// Bitcoin Core descriptor_tests.cpp: this ranged descriptor expands to these scripts at 0, 1, 2.
const CORE_DESCRIPTOR =
  "wpkh([ffffffff/13']xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/1/2/*)";
const CORE_DESCRIPTOR_SCRIPTS = [
  '0014326b2249e3a25d5dc60935f044ee835d090ba859',
  '0014af0bd98abc2f2cae66e36896a39ffe2d32984fb7',
  '00141fa798efd1cbf95cebf912c031b8a4a6e9fb9f27',
];

function reencode(key: string, version: number): string {
  return encodeExtendedPublicKey(decodeExtendedPublicKey(key), version);
}

describe('BIP84 test vectors', () => {
  const wallet = parseReceivingWallet('BTC', 'mainnet', BIP84_ZPUB);

  it('derives the published receive addresses from the account zpub', () => {
    expect(deriveAddress(wallet, 0)).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    expect(deriveAddress(wallet, 1)).toBe('bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
  });

  it('derives the published first change address through a /1/* descriptor of the same key', () => {
    const change = parseReceivingWallet('BTC', 'mainnet', `wpkh(${wallet.extendedPublicKey}/1/*)`);
    expect(deriveAddress(change, 0)).toBe('bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el');
  });

  it('reads the zpub as the same key ethers derives at m/84h/0h/0h of the mnemonic, canonicalised to xpub', () => {
    const account = HDNodeWallet.fromPhrase(ABANDON, undefined, "m/84'/0'/0'").neuter();
    expect(wallet.extendedPublicKey).toBe(account.extendedKey);
    expect(wallet).toMatchObject({ kind: 'p2wpkh', chain: 'bitcoin', network: 'mainnet', chainPath: [0] });
    expect(wallet.kind === 'p2wpkh' && wallet.descriptor).toBe(
      `wpkh(${account.extendedKey}/0/*)#${descriptorChecksum(`wpkh(${account.extendedKey}/0/*)`)}`,
    );
  });

  it('refuses the zprv, the root zprv and the first address WIF as private keys', () => {
    for (const secret of [BIP84_ZPRV, BIP84_ROOT_ZPRV, BIP84_FIRST_PRIVKEY_WIF, ABANDON]) {
      expect(() => parseReceivingWallet('BTC', 'mainnet', secret)).toThrow(PrivateKeyRefusedError);
    }
  });

  it('never echoes the private key in the error', () => {
    try {
      parseReceivingWallet('BTC', 'mainnet', BIP84_ZPRV);
      throw new Error('not refused');
    } catch (err) {
      expect(err).toBeInstanceOf(PrivateKeyRefusedError);
      const e = err as PrivateKeyRefusedError;
      expect(e.code).toBe('private_key_refused');
      expect(e.httpStatus).toBe(400);
      expect(e.message).toMatch(/never accepts private keys/);
      expect(JSON.stringify({ m: e.message, d: e.details })).not.toContain(BIP84_ZPRV.slice(4, 30));
    }
  });
});

describe('descriptors', () => {
  it('expands Bitcoin Core\'s ranged wpkh test descriptor to its published scripts', () => {
    const wallet = parseReceivingWallet('BTC', 'mainnet', CORE_DESCRIPTOR);
    expect(wallet.chainPath).toEqual([1, 2]);
    const addresses = deriveAddresses(wallet, 0, 3);
    expect(addresses.map((a) => Buffer.from(bitcoinjs.address.toOutputScript(a)).toString('hex'))).toEqual(CORE_DESCRIPTOR_SCRIPTS);
  });

  it('computes the checksums litecoind/bitcoind print (getdescriptorinfo)', () => {
    // Recorded from `litecoin-cli getdescriptorinfo` (Litecoin Core 0.21.2.1).
    expect(descriptorChecksum('pkh(02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5)')).toBe('8fhd9pwu');
    expect(
      descriptorChecksum(
        'wpkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/0/*)',
      ),
    ).toBe('qvnrzae8');
  });

  it('accepts a descriptor with a correct checksum and refuses one with a wrong or mangled checksum', () => {
    const tpubDesc =
      'wpkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/0/*)';
    expect(parseReceivingWallet('LTC', 'regtest', `${tpubDesc}#qvnrzae8`).kind).toBe('p2wpkh');
    expect(() => parseReceivingWallet('LTC', 'regtest', `${tpubDesc}#qvnrzae9`)).toThrow(DescriptorChecksumError);
    expect(() => parseReceivingWallet('LTC', 'regtest', `${tpubDesc}#qvnrza`)).toThrow(DescriptorChecksumError);
    expect(() => parseReceivingWallet('LTC', 'regtest', `${tpubDesc.replace('/0/*', '/1/*')}#qvnrzae8`)).toThrow(
      DescriptorChecksumError,
    );
  });

  it('refuses descriptors it cannot derive from a public key, or of other script types', () => {
    const xpub = HDNodeWallet.fromPhrase(ABANDON, undefined, "m/84'/0'/0'").neuter().extendedKey;
    expect(() => parseReceivingWallet('BTC', 'mainnet', `sh(wpkh(${xpub}/0/*))`)).toThrow(UnsupportedWalletError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `tr(${xpub}/0/*)`)).toThrow(UnsupportedWalletError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh(${xpub}/0/*h)`)).toThrow(UnsupportedWalletError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh(${xpub}/0h/*)`)).toThrow(UnsupportedWalletError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh(${xpub}/0/5)`)).toThrow(UnsupportedWalletError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh([73c5da0a/84h/0h]${xpub}/0/*)`)).toThrow(WalletKeyDepthError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh([73c5da0a/84h/0h/0h]${xpub}/0/*)`)).not.toThrow();
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh([73c5da0/84h/0h/0h]${xpub}/0/*)`)).toThrow(MalformedWalletError);
  });

  it('refuses a descriptor that contains a private key anywhere', () => {
    const tprv = HDNodeWallet.fromPhrase(ABANDON, undefined, "m/84'/1'/0'");
    const xprv = tprv.extendedKey;
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh([73c5da0a/84h/0h/0h]${xprv}/0/*)`)).toThrow(PrivateKeyRefusedError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `wpkh(${BIP84_FIRST_PRIVKEY_WIF})`)).toThrow(PrivateKeyRefusedError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', `sh(wpkh(${xprv}/0/*))#aaaaaaaa`)).toThrow(PrivateKeyRefusedError);
  });
});

describe('networks and key kinds', () => {
  const account = HDNodeWallet.fromPhrase(ABANDON, undefined, "m/84'/1'/0'").neuter();
  const tpub = reencode(account.extendedKey, 0x043587cf);
  const vpub = reencode(account.extendedKey, 0x045f1cf6);
  const ttub = reencode(account.extendedKey, 0x0436f6e1);

  it('takes tpub, vpub and (for Litecoin) ttub as the same regtest wallet', () => {
    const fromTpub = parseReceivingWallet('LTC', 'regtest', tpub);
    expect(parseReceivingWallet('LTC', 'regtest', vpub)).toEqual(fromTpub);
    expect(parseReceivingWallet('LTC', 'regtest', ttub)).toEqual(fromTpub);
    expect(fromTpub.extendedPublicKey.startsWith('tpub')).toBe(true);
    expect(deriveAddress(fromTpub, 0)).toMatch(/^rltc1q/);
    expect(deriveAddress(parseReceivingWallet('BTC', 'regtest', vpub), 0)).toMatch(/^bcrt1q/);
    expect(deriveAddress(parseReceivingWallet('BTC', 'testnet', vpub), 0)).toMatch(/^tb1q/);
    expect(deriveAddress(parseReceivingWallet('LTC', 'testnet', vpub), 0)).toMatch(/^tltc1q/);
    expect(() => parseReceivingWallet('BTC', 'regtest', ttub)).toThrow(UnsupportedWalletError);
  });

  it('derives the same addresses as ethers derives from the private seed at m/84h/1h/0h/0/i', () => {
    const wallet = parseReceivingWallet('LTC', 'regtest', vpub);
    const root = HDNodeWallet.fromSeed(Mnemonic.fromPhrase(ABANDON).computeSeed());
    for (let i = 0; i < 20; i += 1) {
      const pub = Buffer.from(root.derivePath(`m/84'/1'/0'/0/${i}`).publicKey.slice(2), 'hex');
      const expected = bitcoinjs.payments.p2wpkh({ pubkey: pub, network: { ...bitcoinjs.networks.regtest, bech32: 'rltc' } }).address;
      expect(deriveAddress(wallet, i)).toBe(expected);
    }
  });

  it('matches ethers for random seeds and random indexes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed, index) => {
        const seedRoot = HDNodeWallet.fromSeed(seed);
        const accountKey = seedRoot.derivePath("m/84'/0'/0'").neuter().extendedKey;
        const btc = parseReceivingWallet('BTC', 'mainnet', accountKey);
        const pub = Buffer.from(seedRoot.derivePath(`m/84'/0'/0'/0/${index}`).publicKey.slice(2), 'hex');
        expect(deriveAddress(btc, index)).toBe(bitcoinjs.payments.p2wpkh({ pubkey: pub }).address);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a mainnet zpub on regtest and a tpub on mainnet', () => {
    expect(() => parseReceivingWallet('BTC', 'regtest', BIP84_ZPUB)).toThrow(WalletNetworkMismatchError);
    expect(() => parseReceivingWallet('LTC', 'mainnet', tpub)).toThrow(WalletNetworkMismatchError);
  });

  it('refuses P2SH-segwit and multisig encodings, and keys at the wrong depth', () => {
    const ypub = reencode(BIP84_ZPUB, 0x049d7cb2);
    const zpubMultisig = reencode(BIP84_ZPUB, 0x02aa7ed3);
    expect(() => parseReceivingWallet('BTC', 'mainnet', ypub)).toThrow(UnsupportedWalletError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', zpubMultisig)).toThrow(UnsupportedWalletError);
    const master = HDNodeWallet.fromPhrase(ABANDON, undefined, 'm').neuter().extendedKey;
    const chainLevel = HDNodeWallet.fromPhrase(ABANDON, undefined, "m/84'/0'/0'/0").neuter().extendedKey;
    expect(() => parseReceivingWallet('BTC', 'mainnet', master)).toThrow(WalletKeyDepthError);
    expect(() => parseReceivingWallet('BTC', 'mainnet', chainLevel)).toThrow(WalletKeyDepthError);
  });

  it('refuses garbage with MalformedWalletError', () => {
    for (const garbage of ['', '   ', 'hello', 'zpub', BIP84_ZPUB.slice(0, -1), `${BIP84_ZPUB}x`, 'wpkh()', 'wpkh(xpub/0/*)', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu']) {
      expect(() => parseReceivingWallet('BTC', 'mainnet', garbage)).toThrow(MalformedWalletError);
    }
    // A Base58Check string of the right length whose key bytes are not a curve point.
    const payload = base58CheckDecode(BIP84_ZPUB)!;
    payload[46] = payload[46]! ^ 0xff;
    expect(() => parseReceivingWallet('BTC', 'mainnet', base58CheckEncode(payload))).toThrow(MalformedWalletError);
  });

  it('answers unknown assets and networks from unchecked callers with a typed error', () => {
    expect(() => parseReceivingWallet('DOGE' as never, 'mainnet', BIP84_ZPUB)).toThrow(UnsupportedWalletError);
    expect(() => parseReceivingWallet('BTC', 'signet' as never, BIP84_ZPUB)).toThrow(UnsupportedWalletError);
  });

  it('refuses out-of-range indexes', () => {
    const wallet = parseReceivingWallet('BTC', 'mainnet', BIP84_ZPUB);
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN]) expect(() => deriveAddress(wallet, bad)).toThrow(DerivationIndexError);
    expect(() => deriveAddress(wallet, 2 ** 31 - 1)).not.toThrow();
  });
});

describe('Ethereum', () => {
  const chainKey = HDNodeWallet.fromPhrase(ABANDON, undefined, "m/44'/60'/0'/0");

  it('derives from the neutered m/44h/60h/0h/0 xpub exactly what ethers derives from the mnemonic', () => {
    const wallet = parseReceivingWallet('ETH', 'mainnet', chainKey.neuter().extendedKey);
    const usdc = parseReceivingWallet('USDC', 'regtest', chainKey.neuter().extendedKey);
    for (let i = 0; i < 25; i += 1) {
      const expected = HDNodeWallet.fromPhrase(ABANDON, undefined, `m/44'/60'/0'/0/${i}`).address;
      expect(deriveAddress(wallet, i)).toBe(expected);
      expect(deriveAddress(usdc, i)).toBe(expected);
    }
    // The well-known first address of the "abandon … about" mnemonic.
    expect(deriveAddress(wallet, 0)).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
  });

  it('refuses the xprv, a key at another depth, and a tpub', () => {
    expect(() => parseReceivingWallet('ETH', 'mainnet', chainKey.extendedKey)).toThrow(PrivateKeyRefusedError);
    expect(() => parseReceivingWallet('ETH', 'mainnet', chainKey.privateKey)).toThrow(PrivateKeyRefusedError);
    const account = HDNodeWallet.fromPhrase(ABANDON, undefined, "m/44'/60'/0'").neuter().extendedKey;
    expect(() => parseReceivingWallet('ETH', 'mainnet', account)).toThrow(WalletKeyDepthError);
    expect(() => parseReceivingWallet('ETH', 'mainnet', reencode(chainKey.neuter().extendedKey, 0x043587cf))).toThrow(
      UnsupportedWalletError,
    );
  });
});

describe('fuzz', () => {
  const assets = fc.constantFrom('BTC', 'LTC', 'ETH', 'USDC' as const);
  const networks = fc.constantFrom('mainnet', 'testnet', 'regtest' as const);
  const validKeys = [
    BIP84_ZPUB,
    HDNodeWallet.fromPhrase(ABANDON, undefined, "m/44'/60'/0'/0").neuter().extendedKey,
    CORE_DESCRIPTOR,
    `${CORE_DESCRIPTOR}#${descriptorChecksum(CORE_DESCRIPTOR)}`,
  ];

  function onlyTypedErrors(asset: 'BTC' | 'LTC' | 'ETH' | 'USDC', network: 'mainnet' | 'testnet' | 'regtest', text: string): void {
    try {
      const wallet = parseReceivingWallet(asset, network, text);
      deriveAddress(wallet, 0);
    } catch (err) {
      if (!(err instanceof WalletKeyError)) throw err;
    }
  }

  it('random strings never raise anything but a WalletKeyError', () => {
    fc.assert(fc.property(assets, networks, fc.string({ maxLength: 200 }), onlyTypedErrors), { numRuns: 500 });
    fc.assert(
      fc.property(assets, networks, fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z()\[\]\/*#',h]{0,140}$/), onlyTypedErrors),
      { numRuns: 500 },
    );
  });

  it('mutated valid keys never raise anything but a WalletKeyError', () => {
    const mutation = fc.record({
      key: fc.constantFrom(...validKeys),
      at: fc.nat(),
      char: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz/*#()[]h\''),
      op: fc.constantFrom('replace', 'insert', 'delete' as const),
    });
    fc.assert(
      fc.property(assets, networks, mutation, (asset, network, { key, at, char, op }) => {
        const i = at % key.length;
        const mutated =
          op === 'replace' ? key.slice(0, i) + char + key.slice(i + 1) : op === 'insert' ? key.slice(0, i) + char + key.slice(i) : key.slice(0, i) + key.slice(i + 1);
        onlyTypedErrors(asset, network, mutated);
      }),
      { numRuns: 1000 },
    );
  });

  it('any extended private key is refused, on every asset and network', () => {
    const privateVersions = [0x0488ade4, 0x04358394, 0x04b2430c, 0x045f18bc, 0x049d7878, 0x019d9cfe, 0x0436ef7d, 0x12345678];
    fc.assert(
      fc.property(assets, networks, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom(...privateVersions), fc.nat(4), (asset, network, seed, version, depth) => {
        const payload = Buffer.alloc(78);
        payload.writeUInt32BE(version, 0);
        payload[4] = depth;
        Buffer.from(seed).copy(payload, 13);
        payload[45] = 0;
        Buffer.from(seed).reverse().copy(payload, 46);
        const xprv = base58CheckEncode(payload);
        expect(() => parseReceivingWallet(asset, network, xprv)).toThrow(PrivateKeyRefusedError);
        expect(() => parseReceivingWallet(asset, network, `wpkh([00000000/84h/0h/0h]${xprv}/0/*)`)).toThrow(PrivateKeyRefusedError);
      }),
      { numRuns: 300 },
    );
  });
});
