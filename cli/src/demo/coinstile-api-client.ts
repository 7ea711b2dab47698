/** An error answer of the Coinstile API (`{"error": {"code", "message", "details"}}`), or a non-JSON answer. */
export class CoinstileApiError extends Error {
  override readonly name = 'CoinstileApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${method} ${path}: ${status} ${code}: ${message}`);
  }
}

/** The running Coinstile could not be reached at all. */
export class CoinstileUnreachableError extends Error {
  override readonly name = 'CoinstileUnreachableError';
  constructor(url: string, cause: unknown) {
    super(`Coinstile is not answering at ${url} (${reasonOf(cause)}). Start it with "coinstile start", or give its URL with --url / PUBLIC_URL.`);
  }
}

/** fetch() reports "fetch failed" and puts the network error (ECONNREFUSED, a timeout) in `cause`. */
function reasonOf(error: unknown): string {
  const outer = error as { message?: unknown; cause?: { message?: unknown; code?: unknown } } | undefined;
  const inner = outer?.cause;
  if (typeof inner?.message === 'string' && inner.message !== '') return inner.message;
  if (typeof inner?.code === 'string') return inner.code;
  return typeof outer?.message === 'string' ? outer.message : String(error);
}

export interface StoreView {
  readonly id: string;
  readonly status: string;
  readonly wallets: Readonly<Record<string, unknown>>;
}

export interface PaymentInstructions {
  readonly asset: string;
  readonly address: string;
  /** Decimal string in the asset's major unit. */
  readonly amountDue: string;
  readonly rate: string;
}

export interface CheckoutPaymentView {
  readonly txid: string;
  readonly amount: string;
  readonly confirmations: number;
  readonly state: string;
}

export interface CheckoutView {
  readonly id: string;
  readonly orderId: string;
  readonly status: string;
  readonly exception: string;
  readonly amount: string;
  readonly currency: string;
  readonly hostedUrl: string;
  readonly payment: PaymentInstructions | null;
  readonly payments: readonly CheckoutPaymentView[];
}

export interface PayoutView {
  readonly id: string;
  readonly checkoutId?: string;
  readonly status: string;
}

export interface CreateStoreRequest {
  readonly name: string;
  readonly payoutCurrency: string;
  readonly payoutAccount: { readonly iban: string; readonly bic: string; readonly holderName: string };
  readonly wallets: Readonly<Record<string, { readonly xpub: string }>>;
  readonly policy: { readonly speedPolicy: string; readonly expiryMinutes: number };
}

export interface CreateCheckoutRequest {
  readonly orderId: string;
  readonly amount: string;
  readonly currency: string;
  readonly asset: string;
  readonly items: readonly { readonly name: string; readonly quantity: number; readonly unitPrice: string; readonly sku: string }[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** The few calls of the public API (v1) the demo makes, as an operator or as the demo store. */
export class CoinstileApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly bearer: string,
    private readonly timeoutMs = 15_000,
  ) {}

  /** The same API as another principal (the store's API key). */
  as(bearer: string): CoinstileApiClient {
    return new CoinstileApiClient(this.baseUrl, bearer, this.timeoutMs);
  }

  /** `GET /healthz`: throws `CoinstileUnreachableError` when nothing answers there. */
  async health(): Promise<void> {
    await this.call('GET', '/healthz');
  }

  createStore(body: CreateStoreRequest): Promise<StoreView> {
    return this.call('POST', '/v1/stores', body);
  }

  getStore(id: string): Promise<StoreView> {
    return this.call('GET', `/v1/stores/${encodeURIComponent(id)}`);
  }

  verifyStore(id: string): Promise<StoreView> {
    return this.call('POST', `/v1/stores/${encodeURIComponent(id)}/verify`);
  }

  createApiKey(storeId: string, scopes: readonly string[]): Promise<{ key: string; scopes: string[] }> {
    return this.call('POST', `/v1/stores/${encodeURIComponent(storeId)}/api-keys`, { scopes });
  }

  createCheckout(body: CreateCheckoutRequest, idempotencyKey: string): Promise<CheckoutView> {
    return this.call('POST', '/v1/checkouts', body, { 'idempotency-key': idempotencyKey });
  }

  getCheckout(id: string): Promise<CheckoutView> {
    return this.call('GET', `/v1/checkouts/${encodeURIComponent(id)}`);
  }

  listPayouts(): Promise<{ data: PayoutView[] }> {
    return this.call('GET', '/v1/payouts?limit=100');
  }

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.bearer}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new CoinstileUnreachableError(this.baseUrl, err);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CoinstileApiError(method, path, response.status, 'not_json', text.slice(0, 200));
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
      throw new CoinstileApiError(method, path, response.status, String(error?.code ?? 'unknown'), String(error?.message ?? text.slice(0, 200)));
    }
    return parsed as T;
  }
}
