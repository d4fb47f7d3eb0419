/**
 * The single login's contract between the API gateway (src/services/api-gateway/) and the chart
 * (Traefik's ForwardAuth and header-stripping Middlewares, Grafana's auth.proxy, the values
 * schema): the names both sides use, in one place.
 */
export const GATEWAY_AUTH = {
  /** Traefik's ForwardAuth endpoint on the gateway's port: 200 with {@link GATEWAY_AUTH.headers}, else 302 to the login page or 401. */
  verifyPath: '/auth/verify',
  /** The session cookie (HttpOnly, SameSite=Lax, Path=/). */
  sessionCookie: 'aiops_session',
  /** Headers of a 200 from the verify endpoint, which Traefik copies into the request to the UI. */
  headers: {
    user: 'X-Auth-User',
    /** `viewer`, `operator` or `admin`. */
    role: 'X-Auth-Role',
    /** Grafana's auth.proxy user header (the login name). */
    grafanaUser: 'X-WEBAUTH-USER',
    /** Grafana's auth.proxy role header: `Viewer`, `Editor` or `Admin` for viewer, operator, admin. */
    grafanaRole: 'X-WEBAUTH-ROLE',
  },
} as const;

/** The identity headers of {@link GATEWAY_AUTH}, in order: stripped from every client request, set only by the verify endpoint. */
export const GATEWAY_AUTH_HEADERS = Object.values(GATEWAY_AUTH.headers);

/** A user name of the gateway: 1 to 64 of A-Z a-z 0-9 . _ @ -, starting with a letter or digit (safe in a header and a log line). */
export const GATEWAY_USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Shortest password the gateway accepts (the first admin's included). */
export const GATEWAY_PASSWORD_MIN_LENGTH = 12;
