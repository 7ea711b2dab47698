import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { concat, decodeBase58, encodeBase58, getBytes, HDNodeWallet, sha256, toBeArray } from 'ethers';
import { demoDir, readJsonFile, writePrivateJsonFile } from './demo-files';

/** The demo store's receiving wallets: public keys only (the demo never spends what the store receives). */
export interface DemoStoreWallets {
  /** BIP84 account key `m/84'/1'/0'` in BIP32 test encoding (`tpub…`), for LTC on regtest. */
  readonly ltcTpub: string;
  /** `m/44'/60'/0'/0` as `xpub…`, for ETH. */
  readonly ethXpub: string;
  /**
   * `m/44'/60'/1'/0`, for USDC: a key of its own, because Coinstile numbers addresses per store and asset,
   * so one key for both would give an ETH and a USDC checkout the same address.
   */
  readonly usdcXpub: string;
}

const WALLETS_FILE = 'store-wallets.json';
/** BIP32 version bytes of a public key on test networks (`tpub`), which regtest shares. */
const TPUB_VERSION = [0x04, 0x35, 0x87, 0xcf];

/**
 * The demo store's wallets, made from a random seed on the first run (or when `fresh`: the kept ones are
 * taken by a store this run cannot reuse) and kept in `<dataDir>/demo`.
 */
export function loadOrCreateDemoStoreWallets(dataDir: string, fresh = false): DemoStoreWallets {
  const file = join(demoDir(dataDir), WALLETS_FILE);
  const existing = readJsonFile(file) as Partial<DemoStoreWallets> | undefined;
  if (!fresh && typeof existing?.ltcTpub === 'string' && typeof existing.ethXpub === 'string' && typeof existing.usdcXpub === 'string') {
    return { ltcTpub: existing.ltcTpub, ethXpub: existing.ethXpub, usdcXpub: existing.usdcXpub };
  }
  const root = HDNodeWallet.fromSeed(randomBytes(32));
  const wallets: DemoStoreWallets = {
    ltcTpub: asTestNetworkKey(root.derivePath("m/84'/1'/0'").neuter().extendedKey),
    ethXpub: root.derivePath("m/44'/60'/0'/0").neuter().extendedKey,
    usdcXpub: root.derivePath("m/44'/60'/1'/0").neuter().extendedKey,
  };
  writePrivateJsonFile(file, wallets);
  return wallets;
}

/** ethers writes mainnet `xpub` version bytes; regtest keys carry the test ones. Same key, new checksum. */
export function asTestNetworkKey(xpub: string): string {
  const decoded = toBeArray(decodeBase58(xpub));
  if (decoded.length !== 82) throw new Error(`not an extended key (${decoded.length} bytes)`);
  const payload = getBytes(concat([Uint8Array.from(TPUB_VERSION), decoded.slice(4, 78)]));
  const checksum = getBytes(sha256(sha256(payload))).slice(0, 4);
  return encodeBase58(concat([payload, checksum]));
}
