export {
  createReceiptsApiRouter,
  createReceiptsRouter,
  type PublishedKeySet,
  type ReceiptsApiRouterDeps,
  type ReceiptsRouterDeps,
  type StoredReceiptView,
} from './receipts-router';
