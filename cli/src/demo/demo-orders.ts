import { randomInt } from 'node:crypto';
import type { CreateCheckoutRequest } from './coinstile-api-client';
import type { DemoAsset } from './demo-store';

interface CatalogueItem {
  readonly sku: string;
  readonly name: string;
  /** USD cents. */
  readonly unitPriceMinor: number;
}

const CATALOGUE: readonly CatalogueItem[] = [
  { sku: 'TEA-SENCHA-100', name: 'Sencha, 100 g', unitPriceMinor: 1250 },
  { sku: 'TEA-GYOKURO-50', name: 'Gyokuro, 50 g', unitPriceMinor: 2400 },
  { sku: 'TEA-HOJICHA-100', name: 'Hojicha, 100 g', unitPriceMinor: 990 },
  { sku: 'TEA-MATCHA-30', name: 'Ceremonial matcha, 30 g', unitPriceMinor: 3200 },
  { sku: 'WARE-KYUSU', name: 'Tokoname kyusu teapot', unitPriceMinor: 6800 },
  { sku: 'WARE-CHAWAN', name: 'Raku tea bowl', unitPriceMinor: 4500 },
  { sku: 'ACC-CHASEN', name: 'Bamboo whisk', unitPriceMinor: 1800 },
];

function usd(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

/** A random order of one to three catalogue lines, priced in USD, to be paid with `asset`. */
export function randomDemoOrder(orderId: string, asset: DemoAsset): CreateCheckoutRequest {
  const lines = new Map<CatalogueItem, number>();
  const count = randomInt(1, 4);
  for (let i = 0; i < count; i++) {
    const item = CATALOGUE[randomInt(CATALOGUE.length)]!;
    lines.set(item, (lines.get(item) ?? 0) + randomInt(1, 3));
  }
  const items = [...lines].map(([item, quantity]) => ({ name: item.name, quantity, unitPrice: usd(item.unitPriceMinor), sku: item.sku }));
  const totalMinor = [...lines].reduce((sum, [item, quantity]) => sum + item.unitPriceMinor * quantity, 0);
  return { orderId, amount: usd(totalMinor), currency: 'USD', asset, items, metadata: { source: 'coinstile demo' } };
}
