import { PaymentUriError, bip21Uri, eip681Uri } from './payment-uri';
import { paymentQrPngDataUrl, paymentQrSvg } from './payment-qr';

describe('BIP21', () => {
  it('writes the amount in coin units and percent-encodes label and message', () => {
    expect(bip21Uri({ asset: 'BTC', address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', amountBase: 55_312n })).toBe(
      'bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.00055312',
    );
    expect(
      bip21Uri({ asset: 'LTC', address: 'ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9', amountBase: 150_000_000n, label: 'Kobe Tea House', message: "Order A-1042 (茶) & more!" }),
    ).toBe(
      'litecoin:ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9?amount=1.5&label=Kobe%20Tea%20House&message=Order%20A-1042%20%28%E8%8C%B6%29%20%26%20more%21',
    );
    expect(bip21Uri({ asset: 'BTC', address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu' })).toBe('bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
  });

  it('refuses a zero or negative amount', () => {
    expect(() => bip21Uri({ asset: 'BTC', address: 'bc1q…', amountBase: 0n })).toThrow(PaymentUriError);
    expect(() => bip21Uri({ asset: 'BTC', address: 'bc1q…', amountBase: -1n })).toThrow(PaymentUriError);
  });
});

describe('EIP-681', () => {
  const to = '0x9858EfFD232B4033E47d90003D41EC34EcaEda94';
  const token = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';

  it('native ETH: value in wei, chain id after @', () => {
    expect(eip681Uri({ asset: 'ETH', address: to, chainId: 1, amountBase: 2_014_000_000_000_000_000n })).toBe(
      `ethereum:${to}@1?value=2014000000000000000`,
    );
  });

  it('ERC-20: transfer on the token contract with the recipient and base units', () => {
    expect(eip681Uri({ asset: 'USDC', address: to, chainId: 31337, amountBase: 12_500_000n, tokenContract: token })).toBe(
      `ethereum:${token}@31337/transfer?address=${to}&uint256=12500000`,
    );
  });

  it('refuses a token without its contract, ETH with one, and a non-positive chain id', () => {
    expect(() => eip681Uri({ asset: 'USDC', address: to, chainId: 1, amountBase: 1n })).toThrow(PaymentUriError);
    expect(() => eip681Uri({ asset: 'ETH', address: to, chainId: 1, amountBase: 1n, tokenContract: token })).toThrow(PaymentUriError);
    expect(() => eip681Uri({ asset: 'ETH', address: to, chainId: 0, amountBase: 1n })).toThrow(PaymentUriError);
  });
});

describe('QR codes', () => {
  it('renders an SVG document and a PNG data URL', async () => {
    const uri = 'bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.00055312';
    const svg = await paymentQrSvg(uri);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('viewBox');
    const png = await paymentQrPngDataUrl(uri, 200);
    expect(png.startsWith('data:image/png;base64,')).toBe(true);
    const bytes = Buffer.from(png.slice('data:image/png;base64,'.length), 'base64');
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(200); // IHDR width
  });
});
