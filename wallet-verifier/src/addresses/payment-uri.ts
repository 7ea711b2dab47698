import { CRYPTO_ASSETS, formatAmount, ValidationError, type CryptoAsset } from '@coinstile/core';

export interface Bip21Request {
  readonly asset: Extract<CryptoAsset, 'BTC' | 'LTC'>;
  readonly address: string;
  /** Amount in the smallest unit (sats, litoshi); written in coin units as BIP21 wants. */
  readonly amountBase?: bigint;
  readonly label?: string;
  readonly message?: string;
}

export interface Eip681Request {
  readonly asset: Extract<CryptoAsset, 'ETH' | 'USDC'>;
  /** The recipient (the checkout's derived address). */
  readonly address: string;
  readonly chainId: number | bigint;
  /** Wei for ETH, token base units for ERC-20. */
  readonly amountBase: bigint;
  /** The ERC-20 contract; required for tokens, refused for ETH. */
  readonly tokenContract?: string;
}

export class PaymentUriError extends ValidationError {
  constructor(message: string) {
    super(message, undefined, 'payment_uri_invalid');
  }
}

const SCHEME: Readonly<Record<Bip21Request['asset'], string>> = { BTC: 'bitcoin', LTC: 'litecoin' };

/** RFC 3986 percent-encoding for a query value (encodeURIComponent leaves !'()* which some wallets choke on). */
function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function requirePositive(amountBase: bigint): void {
  if (amountBase <= 0n) throw new PaymentUriError('amount must be positive');
}

/** `bitcoin:<address>?amount=0.00055312&label=…&message=…` (BIP21), `litecoin:` for LTC. */
export function bip21Uri(request: Bip21Request): string {
  const params: string[] = [];
  if (request.amountBase !== undefined) {
    requirePositive(request.amountBase);
    params.push(`amount=${formatAmount(request.amountBase, request.asset)}`);
  }
  if (request.label !== undefined && request.label !== '') params.push(`label=${encodeQueryValue(request.label)}`);
  if (request.message !== undefined && request.message !== '') params.push(`message=${encodeQueryValue(request.message)}`);
  const query = params.length === 0 ? '' : `?${params.join('&')}`;
  return `${SCHEME[request.asset]}:${request.address}${query}`;
}

/**
 * EIP-681: native ETH `ethereum:<address>@<chainId>?value=<wei>`; an ERC-20 transfer
 * `ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<base units>`. Integers are written in full
 * decimal (no exponent), which every EIP-681 reader takes.
 */
export function eip681Uri(request: Eip681Request): string {
  requirePositive(request.amountBase);
  const chainId = BigInt(request.chainId);
  if (chainId <= 0n) throw new PaymentUriError('chainId must be positive');
  switch (CRYPTO_ASSETS[request.asset].kind) {
    case 'native':
      if (request.tokenContract !== undefined) throw new PaymentUriError('a native ETH payment has no token contract');
      return `ethereum:${request.address}@${chainId}?value=${request.amountBase}`;
    case 'erc20':
      if (request.tokenContract === undefined) throw new PaymentUriError(`${request.asset} needs its token contract`);
      return `ethereum:${request.tokenContract}@${chainId}/transfer?address=${request.address}&uint256=${request.amountBase}`;
  }
}
