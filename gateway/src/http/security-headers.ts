import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/** A header helmet sets, or one it removes (`value` undefined). */
interface HeaderChange {
  readonly name: string;
  readonly value: string | undefined;
}

/**
 * helmet's security headers, worked out once at startup and then set on every response in one step.
 *
 * With fixed options helmet sets the same headers on every response, but it does so through a dozen
 * middleware calls per request, each re-reading its options: on the checkout hot path that was ~5 % of the
 * gateway's event loop (bench/README, "Checkout creation"). Running helmet once against a response that
 * records what it is told gives exactly helmet's headers; options whose value depends on the request (a
 * CSP directive given as a function, e.g. a per-request nonce) cannot be recorded, so they are refused.
 */
export function securityHeaders(options?: Readonly<HelmetOptions>): RequestHandler {
  const changes = recordHelmet(options);
  return (_req, res, next) => {
    for (const change of changes) {
      if (change.value === undefined) res.removeHeader(change.name);
      else res.setHeader(change.name, change.value);
    }
    next();
  };
}

function recordHelmet(options: Readonly<HelmetOptions> | undefined): HeaderChange[] {
  for (const directive of Object.values(cspDirectives(options))) {
    if (typeof directive === 'function' || (Array.isArray(directive) && directive.some((d) => typeof d === 'function'))) {
      throw new TypeError('securityHeaders: a Content-Security-Policy directive that is a function depends on the request; use helmet() itself');
    }
  }
  const changes: HeaderChange[] = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      changes.push({ name, value: String(value) });
    },
    removeHeader(name: string) {
      changes.push({ name, value: undefined });
    },
  };
  let finished = false;
  let failure: unknown;
  helmet(options)({ headers: {} } as never, recorder as never, (err?: unknown) => {
    finished = true;
    failure = err;
  });
  // helmet's middleware is synchronous; if a version ever is not, recording would be wrong.
  if (!finished) throw new Error('securityHeaders: helmet did not finish synchronously');
  if (failure !== undefined) throw failure;
  return changes;
}

function cspDirectives(options: Readonly<HelmetOptions> | undefined): Record<string, unknown> {
  const csp = options?.contentSecurityPolicy;
  if (csp === undefined || typeof csp === 'boolean') return {};
  return (csp.directives ?? {}) as Record<string, unknown>;
}
