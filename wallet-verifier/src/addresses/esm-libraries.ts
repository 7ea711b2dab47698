// tiny-secp256k1 (libsecp256k1 in WebAssembly: no install script, no native build) and bitcoinjs-lib
// are ESM packages that also ship CommonJS builds; this CommonJS workspace loads those builds with
// `require` and borrows the types of the ESM entry points.
type TinySecp256k1 = typeof import('tiny-secp256k1', { with: { 'resolution-mode': 'import' } });
type BitcoinjsLib = typeof import('bitcoinjs-lib', { with: { 'resolution-mode': 'import' } });

export const ecc: TinySecp256k1 = require('tiny-secp256k1');
export const bitcoinjs: BitcoinjsLib = require('bitcoinjs-lib');
export type BitcoinjsNetwork = import('bitcoinjs-lib', { with: { 'resolution-mode': 'import' } }).Network;

/**
 * libsecp256k1 as a prebuilt native addon (the `secp256k1` package ships it for linux-x64, darwin-arm64
 * and win32-x64; its install script, which would compile one elsewhere, is not run). Undefined when it
 * does not load here: derivation then stays on the WebAssembly build above. Only the addon is loaded,
 * never that package's pure-JavaScript fallback, which is slower than WebAssembly.
 */
export const nativeSecp256k1: typeof import('secp256k1') | undefined = loadNativeSecp256k1();

function loadNativeSecp256k1(): typeof import('secp256k1') | undefined {
  try {
    return require('secp256k1/bindings') as typeof import('secp256k1');
  } catch {
    return undefined;
  }
}
