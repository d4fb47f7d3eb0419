/**
 * SQL identifiers, the one helper for a name that comes from configuration and must appear in a
 * statement as a table or view name (PostgreSQL cannot take identifiers as `$n` parameters).
 * Values always go as parameters; only names go through here.
 */

/**
 * A plain PostgreSQL identifier: a lower-case letter or `_`, then lower-case letters, digits and
 * `_`, at most 63 characters (NAMEDATALEN - 1). Exactly the names that mean the same quoted and
 * unquoted, so `aiops_query_stats` in a psql script and `"aiops_query_stats"` here are one object.
 * No dots (no schema), no `$`, no upper case, no quotes.
 */
export const SQL_PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** True when `name` is a {@link SQL_PLAIN_IDENTIFIER}. */
export function isPlainSqlIdentifier(name: string): boolean {
  return SQL_PLAIN_IDENTIFIER.test(name);
}

/**
 * `name` as a double-quoted SQL identifier (`"aiops_query_stats"`), after checking that it is a
 * {@link SQL_PLAIN_IDENTIFIER}; throws a RangeError naming `what` (default `SQL identifier`) and
 * the value found otherwise. Quoting a checked name is belt and braces: a reserved word (`user`,
 * `select`) is still a valid name once quoted.
 */
export function sqlIdentifier(name: string, what = 'SQL identifier'): string {
  if (!isPlainSqlIdentifier(name)) {
    const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
    throw new RangeError(`${what}: expected a plain identifier (a-z or _ first, then a-z, 0-9 or _, at most 63 characters), found ${shown}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}
