import { join } from 'node:path';
import type { Clock, PayoutProvider } from '@coinstile/core';
import type { PayoutRoute } from '../batching/payout-batcher';
import { BANK_FILE_PROVIDER, BankFilePayoutProvider } from './bank-file-provider';
import { HttpPayoutProvider } from './http-payout-provider';
import { MANUAL_PROVIDER, ManualPayoutProvider } from './manual-payout-provider';

/** A payout setting in the environment is missing or malformed; `variable` names it. */
export class PayoutConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = new.target.name;
  }
}

export interface PayoutSetup {
  readonly providers: readonly PayoutProvider[];
  readonly route: PayoutRoute;
  /** Where bank files go (when `bank_file` is configured). */
  readonly bankFileDirectory: string | undefined;
}

const HTTP_PROVIDER = 'http_api';
const KNOWN = [BANK_FILE_PROVIDER, HTTP_PROVIDER, MANUAL_PROVIDER] as const;

/**
 * Payout providers and routing from environment variables:
 * - `PAYOUT_PROVIDERS`: comma list of `bank_file`, `http_api`, `manual` (default `bank_file`);
 * - `bank_file`: `PAYOUT_DEBTOR_NAME`, `PAYOUT_DEBTOR_IBAN`, `PAYOUT_DEBTOR_BIC` (the mall's account the
 *   transfers are paid from); files go to `<dataDir>/payouts`;
 * - `http_api`: `PAYOUT_API_URL` (https), `PAYOUT_API_TOKEN` (optional);
 * - `PAYOUT_ROUTES`: which provider pays which currency, e.g. `JPY=manual,*=bank_file` (default: every
 *   currency to the first provider listed).
 * @throws PayoutConfigError naming the variable at fault
 */
export function payoutSetupFromEnv(env: Readonly<Record<string, string | undefined>>, dataDir: string, clock: Clock): PayoutSetup {
  const names = (env.PAYOUT_PROVIDERS ?? BANK_FILE_PROVIDER)
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  if (names.length === 0) throw new PayoutConfigError('PAYOUT_PROVIDERS', 'names no provider');
  const providers: PayoutProvider[] = [];
  let bankFileDirectory: string | undefined;
  const required = (variable: string): string => {
    const value = env[variable]?.trim();
    if (!value) throw new PayoutConfigError(variable, 'is required by the configured payout providers');
    return value;
  };
  for (const name of new Set(names)) {
    switch (name) {
      case BANK_FILE_PROVIDER: {
        const iban = required('PAYOUT_DEBTOR_IBAN').replace(/\s+/g, '').toUpperCase();
        if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(iban)) throw new PayoutConfigError('PAYOUT_DEBTOR_IBAN', 'is not an IBAN');
        const bic = required('PAYOUT_DEBTOR_BIC').replace(/\s+/g, '').toUpperCase();
        if (!/^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$/.test(bic)) throw new PayoutConfigError('PAYOUT_DEBTOR_BIC', 'is not a BIC (8 or 11 characters)');
        const debtorName = required('PAYOUT_DEBTOR_NAME');
        bankFileDirectory = join(dataDir, 'payouts');
        providers.push(
          new BankFilePayoutProvider({ directory: bankFileDirectory, debtorAccounts: { '*': { name: debtorName, iban, bic } }, initiatingPartyName: debtorName, clock }),
        );
        break;
      }
      case HTTP_PROVIDER: {
        const url = required('PAYOUT_API_URL');
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new PayoutConfigError('PAYOUT_API_URL', 'is not a URL');
        }
        if (parsed.protocol !== 'https:') throw new PayoutConfigError('PAYOUT_API_URL', 'must be https:');
        const token = env.PAYOUT_API_TOKEN?.trim();
        providers.push(new HttpPayoutProvider({ baseUrl: url, ...(token ? { apiToken: token } : {}) }));
        break;
      }
      case MANUAL_PROVIDER:
        providers.push(new ManualPayoutProvider());
        break;
      default:
        throw new PayoutConfigError('PAYOUT_PROVIDERS', `unknown provider ${JSON.stringify(name)} (known: ${KNOWN.join(', ')})`);
    }
  }
  return { providers, route: routeByCurrency(env.PAYOUT_ROUTES, providers), bankFileDirectory };
}

/** `JPY=manual,*=bank_file` as a route; every provider named must be configured. */
export function routeByCurrency(spec: string | undefined, providers: readonly PayoutProvider[]): PayoutRoute {
  const configured = new Set(providers.map((p) => p.name));
  const first = providers[0]?.name;
  if (first === undefined) throw new PayoutConfigError('PAYOUT_PROVIDERS', 'names no provider');
  const table = new Map<string, string>();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const match = /^(\*|[A-Z]{3})=([a-z_]+)$/.exec(part);
    if (!match) throw new PayoutConfigError('PAYOUT_ROUTES', `${JSON.stringify(part)} is not CURRENCY=provider or *=provider`);
    const [, currency, provider] = match as unknown as [string, string, string];
    if (!configured.has(provider)) throw new PayoutConfigError('PAYOUT_ROUTES', `${provider} is not in PAYOUT_PROVIDERS`);
    table.set(currency, provider);
  }
  const fallback = table.get('*') ?? first;
  return (payout) => table.get(payout.currency) ?? fallback;
}
