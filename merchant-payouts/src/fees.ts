/**
 * The mall's fee on a sale: `feeBps` basis points of the price (rounded down, in the store's favour)
 * plus `feeFixedMinor`, capped one minor unit below the price so the store is always owed something and
 * the settlement posting stays valid (a fee that would eat the whole price is a misconfigured store).
 */
export function mallFeeMinor(priceMinor: bigint, feeBps: number, feeFixedMinor: bigint): bigint {
  if (priceMinor <= 0n) throw new RangeError('price must be positive');
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new RangeError(`feeBps out of range: ${feeBps}`);
  if (feeFixedMinor < 0n) throw new RangeError('fixed fee must not be negative');
  const fee = (priceMinor * BigInt(feeBps)) / 10_000n + feeFixedMinor;
  return fee < priceMinor ? fee : priceMinor - 1n;
}

/**
 * The FX spread the mall earned, in fiat minor units. The shopper was quoted the market rate less
 * `spreadBps` (fx-oracle's `applySpread`), so the crypto due is worth `price / (1 − s)` at market: the
 * spread is `price × s / (1 − s)`, rounded down.
 */
export function fxSpreadMinor(priceMinor: bigint, spreadBps: number): bigint {
  if (!Number.isInteger(spreadBps) || spreadBps < 0 || spreadBps >= 10_000) throw new RangeError(`spreadBps out of range: ${spreadBps}`);
  return (priceMinor * BigInt(spreadBps)) / BigInt(10_000 - spreadBps);
}
