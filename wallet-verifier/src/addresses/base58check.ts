import { createHash } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const DIGIT = new Map([...ALPHABET].map((c, i) => [c, i]));

function sha256d(data: Uint8Array): Buffer {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

/** Base58Check decoding; `undefined` for anything that is not valid Base58Check (never throws). */
export function base58CheckDecode(text: string): Buffer | undefined {
  if (text.length === 0 || text.length > 200) return undefined;
  let value = 0n;
  for (const c of text) {
    const d = DIGIT.get(c);
    if (d === undefined) return undefined;
    value = value * 58n + BigInt(d);
  }
  let hex = value === 0n ? '' : value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros += 1;
  const bytes = Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, 'hex')]);
  if (bytes.length < 5) return undefined;
  const payload = bytes.subarray(0, bytes.length - 4);
  const checksum = bytes.subarray(bytes.length - 4);
  return sha256d(payload).subarray(0, 4).equals(checksum) ? payload : undefined;
}

export function base58CheckEncode(payload: Uint8Array): string {
  const bytes = Buffer.concat([payload, sha256d(payload).subarray(0, 4)]);
  let value = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (value > 0n) {
    out = ALPHABET[Number(value % 58n)]! + out;
    value /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}
