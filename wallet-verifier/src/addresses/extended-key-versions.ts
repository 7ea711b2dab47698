/**
 * Every BIP32 / SLIP-132 extended-key version Coinstile recognises, so that a key is either accepted,
 * refused as private, refused as the wrong network, or refused as an unsupported script type — never
 * misread. Source: BIP32 (xpub/tpub) and the SLIP-132 registry.
 */
export interface ExtendedKeyVersion {
  /** The prefix the base58 string starts with. */
  readonly prefix: string;
  readonly version: number;
  readonly isPrivate: boolean;
  /** `main` keys belong to mainnet; `test` keys to testnet and regtest (they share version bytes). */
  readonly networkClass: 'main' | 'test';
  /** Which chains use this version. Bitcoin's xpub/tpub family is what Litecoin wallets export too. */
  readonly chains: readonly ('bitcoin' | 'litecoin')[];
  /** The addresses the encoding announces (`any` for plain BIP32 keys, which announce none). */
  readonly scriptType: 'any' | 'p2wpkh' | 'p2sh-p2wpkh' | 'multisig-p2wsh' | 'multisig-p2sh-p2wsh';
}

const BOTH = ['bitcoin', 'litecoin'] as const;
const LTC = ['litecoin'] as const;

export const EXTENDED_KEY_VERSIONS: readonly ExtendedKeyVersion[] = [
  { prefix: 'xpub', version: 0x0488b21e, isPrivate: false, networkClass: 'main', chains: BOTH, scriptType: 'any' },
  { prefix: 'xprv', version: 0x0488ade4, isPrivate: true, networkClass: 'main', chains: BOTH, scriptType: 'any' },
  { prefix: 'ypub', version: 0x049d7cb2, isPrivate: false, networkClass: 'main', chains: BOTH, scriptType: 'p2sh-p2wpkh' },
  { prefix: 'yprv', version: 0x049d7878, isPrivate: true, networkClass: 'main', chains: BOTH, scriptType: 'p2sh-p2wpkh' },
  { prefix: 'zpub', version: 0x04b24746, isPrivate: false, networkClass: 'main', chains: BOTH, scriptType: 'p2wpkh' },
  { prefix: 'zprv', version: 0x04b2430c, isPrivate: true, networkClass: 'main', chains: BOTH, scriptType: 'p2wpkh' },
  { prefix: 'Ypub', version: 0x0295b43f, isPrivate: false, networkClass: 'main', chains: BOTH, scriptType: 'multisig-p2sh-p2wsh' },
  { prefix: 'Yprv', version: 0x0295b005, isPrivate: true, networkClass: 'main', chains: BOTH, scriptType: 'multisig-p2sh-p2wsh' },
  { prefix: 'Zpub', version: 0x02aa7ed3, isPrivate: false, networkClass: 'main', chains: BOTH, scriptType: 'multisig-p2wsh' },
  { prefix: 'Zprv', version: 0x02aa7a99, isPrivate: true, networkClass: 'main', chains: BOTH, scriptType: 'multisig-p2wsh' },
  { prefix: 'tpub', version: 0x043587cf, isPrivate: false, networkClass: 'test', chains: BOTH, scriptType: 'any' },
  { prefix: 'tprv', version: 0x04358394, isPrivate: true, networkClass: 'test', chains: BOTH, scriptType: 'any' },
  { prefix: 'upub', version: 0x044a5262, isPrivate: false, networkClass: 'test', chains: BOTH, scriptType: 'p2sh-p2wpkh' },
  { prefix: 'uprv', version: 0x044a4e28, isPrivate: true, networkClass: 'test', chains: BOTH, scriptType: 'p2sh-p2wpkh' },
  { prefix: 'Upub', version: 0x024289ef, isPrivate: false, networkClass: 'test', chains: BOTH, scriptType: 'multisig-p2sh-p2wsh' },
  { prefix: 'Uprv', version: 0x024285b5, isPrivate: true, networkClass: 'test', chains: BOTH, scriptType: 'multisig-p2sh-p2wsh' },
  { prefix: 'vpub', version: 0x045f1cf6, isPrivate: false, networkClass: 'test', chains: BOTH, scriptType: 'p2wpkh' },
  { prefix: 'vprv', version: 0x045f18bc, isPrivate: true, networkClass: 'test', chains: BOTH, scriptType: 'p2wpkh' },
  { prefix: 'Vpub', version: 0x02575483, isPrivate: false, networkClass: 'test', chains: BOTH, scriptType: 'multisig-p2wsh' },
  { prefix: 'Vprv', version: 0x02575048, isPrivate: true, networkClass: 'test', chains: BOTH, scriptType: 'multisig-p2wsh' },
  // SLIP-132 Litecoin encodings. Litecoin Core itself uses xpub/tpub; some wallets export these.
  { prefix: 'Ltub', version: 0x019da462, isPrivate: false, networkClass: 'main', chains: LTC, scriptType: 'any' },
  { prefix: 'Ltpv', version: 0x019d9cfe, isPrivate: true, networkClass: 'main', chains: LTC, scriptType: 'any' },
  { prefix: 'Mtub', version: 0x01b26ef6, isPrivate: false, networkClass: 'main', chains: LTC, scriptType: 'p2sh-p2wpkh' },
  { prefix: 'Mtpv', version: 0x01b26792, isPrivate: true, networkClass: 'main', chains: LTC, scriptType: 'p2sh-p2wpkh' },
  { prefix: 'ttub', version: 0x0436f6e1, isPrivate: false, networkClass: 'test', chains: LTC, scriptType: 'any' },
  { prefix: 'ttpv', version: 0x0436ef7d, isPrivate: true, networkClass: 'test', chains: LTC, scriptType: 'any' },
];

const BY_VERSION = new Map(EXTENDED_KEY_VERSIONS.map((v) => [v.version, v]));

export function extendedKeyVersion(version: number): ExtendedKeyVersion | undefined {
  return BY_VERSION.get(version);
}

export const STANDARD_PUBLIC_VERSION = { main: 0x0488b21e, test: 0x043587cf } as const;
