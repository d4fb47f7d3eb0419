import type { ServiceServer } from '../../src/services/kit/server.js';

/**
 * The routes a kit server registered below `prefix` (`/api` → `/api/…`), as `METHOD /path/{name}`
 * (OpenAPI's parameter form), sorted. Reads the server's private route table: the tests compare it
 * with the OpenAPI document.
 */
export function routesUnder(server: ServiceServer, prefix: string): string[] {
  const routes = (server as unknown as { routes: Map<string, Map<string, unknown>> }).routes;
  return [...routes]
    .filter(([path]) => path.startsWith(`${prefix}/`))
    .flatMap(([path, methods]) => [...methods.keys()].map((m) => `${m} ${path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}`))
    .sort();
}
