import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '@coinstile/core';

/**
 * Addresses a webhook must never reach unless private targets are allowed: this host, private networks,
 * link-local (cloud metadata at 169.254.169.254), CGNAT, multicast, documentation and reserved ranges,
 * IPv6 unique-local and link-local, and IPv4-mapped / NAT64 IPv6 forms (which could smuggle any of the
 * IPv4 ones).
 */
// Two lists: node's BlockList matches IPv4 addresses against IPv4-mapped IPv6 subnets, so a v6 list
// holding ::ffff:0:0/96 would refuse every IPv4 address.
const FORBIDDEN_V4 = new BlockList();
const FORBIDDEN_V6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN_V4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN_V6.addSubnet(network, prefix, 'ipv6');
}

/** True when `address` (an IP literal) is one a webhook may not reach without `WEBHOOK_ALLOW_PRIVATE`. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const bare = address.replace(/^\[|\]$/g, '');
  return family === 4 ? FORBIDDEN_V4.check(bare, 'ipv4') : FORBIDDEN_V6.check(bare, 'ipv6');
}

/** A webhook target that is not allowed. 400 `webhook_target_forbidden`. */
export class ForbiddenWebhookTargetError extends ValidationError {
  constructor(reason: string, details?: Record<string, unknown>) {
    super(`Webhook target refused: ${reason}`, { field: 'url', ...details }, 'webhook_target_forbidden');
  }
}

/** Resolves a host name to every address it has (A and AAAA). Tests pass their own. */
export type HostResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export interface SsrfPolicy {
  /** `WEBHOOK_ALLOW_PRIVATE=true`: development and tests only. */
  readonly allowPrivate: boolean;
  readonly resolver: HostResolver;
}

/** Parses and checks a webhook URL's shape: http(s), no credentials, a host. */
export function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ForbiddenWebhookTargetError('not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ForbiddenWebhookTargetError('only http and https URLs are allowed');
  if (url.username !== '' || url.password !== '') throw new ForbiddenWebhookTargetError('credentials in the URL are not allowed');
  if (url.hostname === '') throw new ForbiddenWebhookTargetError('the URL has no host');
  return url;
}

/**
 * Every address `hostname` resolves to, refusing when any is forbidden (a name with one public and one
 * private address is refused: the connection could go to either).
 */
export async function resolveAllowedAddresses(hostname: string, policy: SsrfPolicy): Promise<LookupAddress[]> {
  const literal = hostname.replace(/^\[|\]$/g, '');
  const family = isIP(literal);
  const addresses: LookupAddress[] =
    family !== 0
      ? [{ address: literal, family }]
      : await policy.resolver(hostname).then(
          (list) => [...list],
          (err: Error) => {
            throw new ForbiddenWebhookTargetError(`the host ${hostname} does not resolve (${err.message})`);
          },
        );
  if (addresses.length === 0) throw new ForbiddenWebhookTargetError(`the host ${hostname} has no address`);
  if (!policy.allowPrivate) {
    const forbidden = addresses.find((a) => isForbiddenAddress(a.address));
    if (forbidden) {
      throw new ForbiddenWebhookTargetError(`${hostname} resolves to a private, loopback or reserved address`, { address: forbidden.address });
    }
  }
  return addresses;
}
