export * from './network-params';
export { EXTENDED_KEY_VERSIONS, type ExtendedKeyVersion } from './extended-key-versions';
export * from './wallet-errors';
export { descriptorChecksum, withDescriptorChecksum } from './descriptor-checksum';
export * from './receiving-wallet';
export { deriveAddress, deriveAddresses } from './derive-address';
export * from './address-validation';
export * from './payment-uri';
export * from './payment-qr';
