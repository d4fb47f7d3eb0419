/**
 * Checks of the names and label selectors that go into request URLs. They may come from alert
 * labels: a name that Kubernetes itself would never accept is refused before any request, so
 * that no value can reach another path (`..`, `/`) or widen a selector (`,`, `!=`).
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** A namespace (DNS-1123 label, ≤ 63 characters), else a TypeError naming the value. */
export function checkNamespace(namespace: string): string {
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw new TypeError(`invalid namespace ${JSON.stringify(namespace)}: expected a DNS-1123 label (a-z, 0-9, '-', at most 63 characters)`);
  }
  return namespace;
}

/** An object name (DNS-1123 subdomain, ≤ 253 characters, no `..` segment), else a TypeError. */
export function checkName(what: string, name: string): string {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name) || name.includes('..')) {
    throw new TypeError(`invalid ${what} name ${JSON.stringify(name)}: expected a DNS-1123 subdomain (a-z, 0-9, '-', '.', at most 253 characters)`);
  }
  return name;
}

/** A label key: an optional DNS-subdomain prefix and `/`, then a name of ≤ 63 characters. */
function validLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/**
 * The `labelSelector` query value of equality requirements: `a=1,b=2` (every key and value
 * checked against the label syntax, else a TypeError). Empty object → empty string (selects all).
 */
export function equalitySelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => {
      if (!validLabelKey(key)) throw new TypeError(`invalid label key ${JSON.stringify(key)} in a label selector`);
      if (value.length > 63 || !LABEL_VALUE.test(value)) throw new TypeError(`invalid label value ${JSON.stringify(value)} for ${key} in a label selector`);
      return `${key}=${value}`;
    })
    .join(',');
}
