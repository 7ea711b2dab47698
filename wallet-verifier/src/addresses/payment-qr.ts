import QRCode from 'qrcode';

/** Medium error correction (15%) and a 4-module quiet zone, as phone wallets scan best. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/** A QR code of `uri` as a standalone SVG document (scales without blur on the hosted page). */
export function paymentQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { ...QR_OPTIONS, type: 'svg' });
}

/** A QR code of `uri` as a `data:image/png;base64,…` URL, `widthPx` wide. */
export function paymentQrPngDataUrl(uri: string, widthPx = 256): Promise<string> {
  return QRCode.toDataURL(uri, { ...QR_OPTIONS, type: 'image/png', width: widthPx });
}
