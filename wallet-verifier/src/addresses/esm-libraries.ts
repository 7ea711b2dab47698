// tiny-secp256k1 (libsecp256k1 in WebAssembly: no install script, no native build) and bitcoinjs-lib
// are ESM packages that also ship CommonJS builds; this CommonJS workspace loads those builds with
// `require` and borrows the types of the ESM entry points.
type TinySecp256k1 = typeof import('tiny-secp256k1', { with: { 'resolution-mode': 'import' } });
type BitcoinjsLib = typeof import('bitcoinjs-lib', { with: { 'resolution-mode': 'import' } });

export const ecc: TinySecp256k1 = require('tiny-secp256k1');
export const bitcoinjs: BitcoinjsLib = require('bitcoinjs-lib');
export type BitcoinjsNetwork = import('bitcoinjs-lib', { with: { 'resolution-mode': 'import' } }).Network;
