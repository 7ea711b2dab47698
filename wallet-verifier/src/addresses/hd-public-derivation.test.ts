import { randomBytes } from 'node:crypto';
import { ecc, nativeSecp256k1 } from './esm-libraries';
import { nativeTweakAdd, publicNode, wasmTweakAdd } from './hd-public-derivation';

const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const scalar = (value: bigint) => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');

function randomPrivateKey(): Buffer {
  for (;;) {
    const key = randomBytes(32);
    if (ecc.isPrivate(key)) return key;
  }
}

describe('child key derivation: native libsecp256k1 and its WebAssembly build', () => {
  test('on linux-x64 the prebuilt native binding loads, so derivation uses it', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(nativeSecp256k1).toBeDefined();
  });

  test('I_L·G + K is the same point from both, compressed and not', () => {
    const native = nativeSecp256k1!;
    for (let n = 0; n < 200; n += 1) {
      const parentKey = ecc.pointFromScalar(randomPrivateKey(), true)!;
      const parent = publicNode(Buffer.from(parentKey), randomBytes(32));
      const il = randomPrivateKey();
      for (const compressed of [true, false]) {
        const fromWasm = wasmTweakAdd(parent, il, compressed);
        expect(fromWasm).not.toBeNull();
        expect(Buffer.from(nativeTweakAdd(native, parent, il, compressed)!).toString('hex')).toBe(Buffer.from(fromWasm!).toString('hex'));
      }
    }
  });

  test('the point at infinity (I_L = n − k) is no key for either', () => {
    const k = randomPrivateKey();
    const parent = publicNode(Buffer.from(ecc.pointFromScalar(k, true)!), randomBytes(32));
    const il = scalar(N - BigInt(`0x${k.toString('hex')}`));
    expect(wasmTweakAdd(parent, il, true)).toBeNull();
    expect(nativeTweakAdd(nativeSecp256k1!, parent, il, true)).toBeNull();
  });

  test('a malformed parent key is an error from the native build, not an index without a key', () => {
    const parent = { ...publicNode(Buffer.from(ecc.pointFromScalar(randomPrivateKey(), true)!), randomBytes(32)), publicKeyUncompressed: Buffer.alloc(10) };
    expect(() => nativeTweakAdd(nativeSecp256k1!, parent, randomPrivateKey(), true)).toThrow(/public key/);
  });
});
