import { base58CheckDecode, base58CheckEncode } from './base58check';
import { extendedKeyVersion, type ExtendedKeyVersion } from './extended-key-versions';
import { ecc } from './esm-libraries';
import { MalformedWalletError, PrivateKeyRefusedError, type PrivateKeyKind } from './wallet-errors';

/** A decoded BIP32 extended public key (78-byte serialisation). */
export interface ExtendedPublicKey {
  readonly version: ExtendedKeyVersion;
  readonly depth: number;
  readonly parentFingerprint: number;
  readonly childNumber: number;
  readonly chainCode: Buffer;
  /** 33-byte compressed point. */
  readonly publicKey: Buffer;
}

const SERIALISED_LENGTH = 78;

/**
 * What private material `text` is, if any: an extended private key of any known or unknown version, a
 * WIF key, 32 raw bytes in hex, or a BIP39-like recovery phrase. Never throws.
 */
export function privateKeyKindOf(text: string): PrivateKeyKind | undefined {
  const trimmed = text.trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(trimmed)) return 'raw_private_key';
  if (/^[a-z]+(\s+[a-z]+){11,23}$/.test(trimmed)) return 'recovery_phrase';
  const payload = base58CheckDecode(trimmed);
  if (payload === undefined) return undefined;
  if (payload.length === SERIALISED_LENGTH) {
    const version = extendedKeyVersion(payload.readUInt32BE(0));
    // Private serialisations carry 0x00 || k where public ones carry a 02/03 point.
    if (version?.isPrivate === true || (version === undefined && payload[45] === 0x00)) return 'extended_private_key';
    return undefined;
  }
  // WIF: version byte, 32-byte key, optional 0x01 compression flag.
  if (payload.length === 33 || (payload.length === 34 && payload[33] === 0x01)) return 'wif';
  return undefined;
}

/** Refuses `text` if it is, or contains, private key material. Descriptors are scanned token by token. */
export function refusePrivateKeys(text: string): void {
  const whole = privateKeyKindOf(text);
  if (whole !== undefined) throw new PrivateKeyRefusedError(whole);
  for (const token of text.split(/[^0-9A-Za-z]+/)) {
    if (token.length < 50) continue; // WIF is 51–52 characters, extended keys 111
    const kind = privateKeyKindOf(token);
    if (kind !== undefined) throw new PrivateKeyRefusedError(kind);
  }
}

/** Decodes an extended key; refuses private ones, unknown versions and invalid points with typed errors. */
export function decodeExtendedPublicKey(text: string): ExtendedPublicKey {
  const payload = base58CheckDecode(text);
  if (payload === undefined) throw new MalformedWalletError('not valid Base58Check');
  if (payload.length !== SERIALISED_LENGTH) throw new MalformedWalletError('not a 78-byte extended key');
  const version = extendedKeyVersion(payload.readUInt32BE(0));
  if (version?.isPrivate === true || payload[45] === 0x00) throw new PrivateKeyRefusedError('extended_private_key');
  if (version === undefined) throw new MalformedWalletError('unknown extended key version');
  const depth = payload[4]!;
  const parentFingerprint = payload.readUInt32BE(5);
  const childNumber = payload.readUInt32BE(9);
  const chainCode = Buffer.from(payload.subarray(13, 45));
  const publicKey = Buffer.from(payload.subarray(45, 78));
  if (!ecc.isPoint(publicKey)) throw new MalformedWalletError('the public key is not a point on secp256k1');
  // BIP32: a master key (depth 0) has no parent and child number 0.
  if (depth === 0 && (parentFingerprint !== 0 || childNumber !== 0)) {
    throw new MalformedWalletError('a depth-0 key with a parent');
  }
  return { version, depth, parentFingerprint, childNumber, chainCode, publicKey };
}

/** Serialises `key` with the given version bytes (e.g. a zpub re-encoded as the xpub Bitcoin Core reads). */
export function encodeExtendedPublicKey(key: ExtendedPublicKey, version: number): string {
  const payload = Buffer.alloc(SERIALISED_LENGTH);
  payload.writeUInt32BE(version, 0);
  payload[4] = key.depth;
  payload.writeUInt32BE(key.parentFingerprint, 5);
  payload.writeUInt32BE(key.childNumber, 9);
  key.chainCode.copy(payload, 13);
  key.publicKey.copy(payload, 45);
  return base58CheckEncode(payload);
}
