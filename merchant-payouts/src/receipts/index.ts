export { issueReceipt, issueReceipts, issueMissingReceipts, storedReceipt, type IssuedReceipt, type ReceiptSigner } from './receipt-issuer';
export {
  NoActiveReceiptKeyError,
  RECEIPT_KEY_SECRET_NAME,
  ReceiptKeyStore,
  UndecryptableReceiptKeyError,
  type ActiveReceiptKey,
  type ReceiptKeyInfo,
  type ReceiptKeyLogger,
  type ReceiptKeyStoreDeps,
} from './receipt-key-store';
export { createReceiptSigner, type CreateReceiptSignerOptions } from './create-receipt-signer';
export { verifyReceipt, type VerifyReceiptOptions } from './verify-receipt';
export { RECEIPT_JWS_TYPE, parseReceiptClaims, type ReceiptClaims, type ReceiptPayment } from './receipt-claims';
export {
  InvalidJwksError,
  MalformedReceiptError,
  ReceiptVerificationError,
  RetiredReceiptKeyError,
  TamperedReceiptError,
  UnknownReceiptKeyError,
  WrongStoreReceiptError,
  type ReceiptRejectionReason,
} from './receipt-errors';
export { ReceiptRefusedError, type ReceiptRefusalReason } from './receipt-refused-error';
export { ed25519Thumbprint, type Ed25519PublicJwk, type JsonWebKeySet } from './jwk';
export { receiptsKysely, type ReceiptsDB, type ReceiptTables, type ReceiptsTable, type ReceiptSigningKeysTable, type ReceiptsExecutor } from './receipts-schema';
