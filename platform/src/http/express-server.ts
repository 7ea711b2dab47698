import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Express } from 'express';

/**
 * An HTTP server for an Express app whose requests and responses are BORN with the app's prototypes
 * (`app.request`, `app.response`), instead of getting them from Express's per-request
 * `Object.setPrototypeOf` (its `init` middleware then finds the prototype already in place, and V8 does
 * nothing).
 *
 * Why: `app.listen` uses plain `IncomingMessage`/`ServerResponse`, and changing the prototype of every
 * request and response makes V8 keep them, and all they reference, through the next young-generation
 * collection and then promote them. Measured with a bare Express app (one route, 64 keep-alive clients):
 * ~20 MB survived each scavenge with `setPrototypeOf`, ~0.15 MB without; in the gateway that was ~9 MB
 * copied and promoted per scavenge, scavenges of 12–28 ms, and the p99 tail of the checkout benchmark
 * (bench/README, "Checkout creation").
 */
export function createExpressServer(app: Express): Server {
  return createServer({ IncomingMessage: classWithPrototype(IncomingMessage, app.request), ServerResponse: classWithPrototype(ServerResponse, app.response) }, app);
}

/** `base`'s constructor, making instances whose prototype is `prototype` (which must inherit from `base.prototype`). */
function classWithPrototype<T extends typeof IncomingMessage | typeof ServerResponse>(base: T, prototype: object): T {
  if (!Object.prototype.isPrototypeOf.call(base.prototype, prototype)) {
    throw new TypeError(`createExpressServer: the app's prototype does not inherit from ${base.name}`);
  }
  // Node's IncomingMessage and ServerResponse are functions a subclass initialises with `call`.
  const construct = function (this: object, ...args: unknown[]) {
    (base as unknown as (this: object, ...args: unknown[]) => void).apply(this, args);
  } as unknown as T;
  (construct as unknown as { prototype: object }).prototype = prototype;
  return construct;
}

/** `createExpressServer(app)` listening on `port` (0: any free port), like `app.listen(port)`. */
export function listenExpress(app: Express, port: number): Server {
  return createExpressServer(app).listen(port);
}
