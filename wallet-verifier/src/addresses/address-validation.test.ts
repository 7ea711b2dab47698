import fc from 'fast-check';
import { InvalidAddressError, isValidAddress, parseAddress } from './address-validation';
import { base58CheckDecode } from './base58check';
import { utxoNetworkParams } from './network-params';

describe('network parameters', () => {
  it('match the Bitcoin and Litecoin chainparams', () => {
    expect(utxoNetworkParams('bitcoin', 'mainnet')).toMatchObject({ bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80 });
    expect(utxoNetworkParams('bitcoin', 'testnet')).toMatchObject({ bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef });
    expect(utxoNetworkParams('bitcoin', 'regtest')).toMatchObject({ bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4 });
    expect(utxoNetworkParams('litecoin', 'mainnet')).toMatchObject({ bech32: 'ltc', pubKeyHash: 0x30, scriptHash: 0x32, wif: 0xb0 });
    expect(utxoNetworkParams('litecoin', 'testnet')).toMatchObject({ bech32: 'tltc', pubKeyHash: 0x6f, scriptHash: 0x3a });
    expect(utxoNetworkParams('litecoin', 'regtest')).toMatchObject({ bech32: 'rltc', pubKeyHash: 0x6f, scriptHash: 0x3a });
  });

  it('agree with published keys: the BIP84 vector WIF and the BIP32 test vector 1 master xpub', () => {
    expect(base58CheckDecode('KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d')?.[0]).toBe(utxoNetworkParams('bitcoin', 'mainnet').wif);
    const xpub = base58CheckDecode(
      'xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8',
    );
    expect(xpub?.readUInt32BE(0)).toBe(utxoNetworkParams('bitcoin', 'mainnet').bip32.public);
    expect(xpub?.readUInt32BE(0)).toBe(utxoNetworkParams('litecoin', 'mainnet').bip32.public);
  });
});

describe('Bitcoin addresses (BIP173 / BIP350 and base58 test vectors)', () => {
  it.each([
    ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'p2wpkh', '0014751e76e8199196d454941c45d1b3a323f1433bd6'],
    ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'p2wpkh', '0014751e76e8199196d454941c45d1b3a323f1433bd6'],
    ['bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 'p2wpkh', undefined],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'p2tr', '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'],
    ['1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'p2pkh', undefined],
    ['3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'p2sh', undefined],
  ])('accepts %s on mainnet as %s', (text, type, script) => {
    const parsed = parseAddress('bitcoin', 'mainnet', text);
    expect(parsed.type).toBe(type);
    expect(parsed.address).toBe(text.toLowerCase() === text || type === 'p2pkh' || type === 'p2sh' ? text : text.toLowerCase());
    if (script !== undefined) expect(Buffer.from(parsed.outputScript!).toString('hex')).toBe(script);
  });

  it('accepts testnet and regtest addresses only on their network', () => {
    const tb = 'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7';
    expect(parseAddress('bitcoin', 'testnet', tb).type).toBe('p2wsh');
    expect(isValidAddress('bitcoin', 'mainnet', tb)).toBe(false);
    expect(isValidAddress('bitcoin', 'regtest', tb)).toBe(false);
    expect(isValidAddress('bitcoin', 'testnet', 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn')).toBe(true);
    expect(isValidAddress('bitcoin', 'mainnet', 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn')).toBe(false);
  });

  it.each([
    ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'bad_checksum'], // last character changed
    ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8f3t4', 'malformed'], // mixed case
    // segwit v1 encoded with bech32 instead of bech32m (BIP350 invalid vector)
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', 'bad_checksum'],
    ['1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', 'malformed'],
    ['ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9', 'wrong_network'],
    ['', 'malformed'],
  ])('refuses %s (%s)', (text, reason) => {
    expect(() => parseAddress('bitcoin', 'mainnet', text)).toThrow(InvalidAddressError);
    try {
      parseAddress('bitcoin', 'mainnet', text);
    } catch (err) {
      expect((err as InvalidAddressError).reason).toBe(reason);
      expect((err as InvalidAddressError).code).toBe('invalid_address');
    }
  });
});

describe('Litecoin addresses', () => {
  it('accepts M… P2SH and L… P2PKH on mainnet and turns legacy 3… P2SH into the M… form', () => {
    expect(parseAddress('litecoin', 'mainnet', 'ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9').type).toBe('p2wpkh');
    expect(parseAddress('litecoin', 'mainnet', 'LVuDpNCSSj6pQ7t9Pv6d6sUkLKoqDEVUnJ').type).toBe('p2pkh');
    const legacy = parseAddress('litecoin', 'mainnet', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy');
    expect(legacy.type).toBe('p2sh');
    expect(legacy.address.startsWith('M')).toBe(true);
    expect(parseAddress('litecoin', 'mainnet', legacy.address).outputScript).toEqual(legacy.outputScript);
  });

  it('matches what litecoind regtest said of these (validateaddress)', () => {
    expect(parseAddress('litecoin', 'regtest', '2N2JD6wb56AfK4tfmM6PwdVmoYk2dCKf4Br').address).toBe('QVeyDxTK7GiQD5RoyCRxiCDEh8UT4iUJnt');
    expect(isValidAddress('litecoin', 'regtest', 'rltc1qp5wfcq48h6d63wyy9qz0awtpfqwwv4smt9zvvx')).toBe(true);
    expect(isValidAddress('litecoin', 'mainnet', 'rltc1qp5wfcq48h6d63wyy9qz0awtpfqwwv4smt9zvvx')).toBe(false);
    expect(isValidAddress('litecoin', 'regtest', 'bcrt1qp5wfcq48h6d63wyy9qz0awtpfqwwv4smt9zvvx')).toBe(false);
  });
});

describe('Ethereum addresses', () => {
  it('accepts EIP-55, all-lower and all-upper hex; refuses bad checksums and the zero address', () => {
    const checksummed = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    expect(parseAddress('ethereum', 'mainnet', checksummed.toLowerCase()).address).toBe(checksummed);
    expect(parseAddress('ethereum', 'mainnet', `0x${checksummed.slice(2).toUpperCase()}`).address).toBe(checksummed);
    expect(isValidAddress('ethereum', 'regtest', checksummed)).toBe(true);
    expect(isValidAddress('ethereum', 'mainnet', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD')).toBe(false);
    expect(isValidAddress('ethereum', 'mainnet', '0x0000000000000000000000000000000000000000')).toBe(false);
    expect(isValidAddress('ethereum', 'mainnet', '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')).toBe(false);
  });
});

describe('unchecked callers', () => {
  it('answers an unknown chain or network with InvalidAddressError', () => {
    expect(() => parseAddress('dogecoin' as never, 'mainnet', 'D8x')).toThrow(InvalidAddressError);
    expect(() => parseAddress('bitcoin', 'signet' as never, 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu')).toThrow(InvalidAddressError);
  });
});

describe('fuzz', () => {
  it('never throws anything but InvalidAddressError', () => {
    const chains = fc.constantFrom('bitcoin', 'litecoin', 'ethereum' as const);
    const networks = fc.constantFrom('mainnet', 'testnet', 'regtest' as const);
    fc.assert(
      fc.property(chains, networks, fc.oneof(fc.string(), fc.stringMatching(/^(bc|ltc|rltc|tb)1[02-9ac-hj-np-z]{6,70}$/)), (chain, network, text) => {
        try {
          parseAddress(chain, network, text);
        } catch (err) {
          if (!(err instanceof InvalidAddressError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
