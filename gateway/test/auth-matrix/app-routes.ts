import type { Server } from 'node:http';

/** One route of the running app, as its express router stack declares it. */
export interface AppRoute {
  /** Upper-case HTTP method; `USE` for a mounted handler that is not a router (static files, sub-apps). */
  readonly method: string;
  /** Express path with its parameters (`/v1/checkouts/:id`). */
  readonly path: string;
}

interface StackLayer {
  readonly route?: { readonly path: string | string[]; readonly methods: Record<string, boolean> };
  readonly handle: { readonly stack?: StackLayer[]; readonly router?: { readonly stack?: StackLayer[] } };
  readonly rawPath?: string | string[];
  readonly name?: string;
}

const joinPath = (prefix: string, path: string): string => (path === '/' ? prefix || '/' : `${prefix}${path}`.replace(/\/{2,}/g, '/'));

/**
 * Every route of the app behind `server`, found by walking the express router stack (nested routers and
 * their mount paths included), so a route added anywhere shows up here without being listed by hand.
 * Mounted handlers that are not routers (`express.static`, …) are reported as `USE <mount path>` when
 * they are mounted below the root.
 */
export function appRoutes(server: Server): AppRoute[] {
  const app = server.listeners('request')[0] as unknown as { router: { stack: StackLayer[] } };
  const routes: AppRoute[] = [];
  const walk = (stack: readonly StackLayer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods)) {
          if (method === '_all') continue;
          for (const path of paths) routes.push({ method: method.toUpperCase(), path: joinPath(prefix, path) });
        }
        continue;
      }
      const mounts = layer.rawPath === undefined ? ['/'] : Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
      const nested = layer.handle.stack ?? layer.handle.router?.stack;
      for (const mount of mounts) {
        if (nested) walk(nested, joinPath(prefix, mount));
        else if (mount !== '/') routes.push({ method: 'USE', path: joinPath(prefix, mount) });
      }
    }
  };
  walk(app.router.stack, '');
  // A middleware mounted on several paths (rate limits) or twice (a router used as both) repeats: keep one.
  const seen = new Set<string>();
  return routes.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `/v1/checkouts/{id}` (OpenAPI) → `/v1/checkouts/:id` (express). */
export const expressPathOf = (openApiPath: string): string => openApiPath.replace(/\{([^}]+)\}/g, ':$1');
