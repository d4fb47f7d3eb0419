import type { k8s } from '../../lib/k8s.js';
import { SERVICE_ACCOUNT_CA } from '../../core/service-account.js';
import type { Rule } from '../../lib/rbac.js';

/**
 * What a platform service that elects a leader through a Lease needs of the chart (the
 * self-healing executor, the AI engine): rights on its Lease and the two variables that find it.
 */

/** The CA of the API server, mounted with the service-account token (Node's fetch trusts it through NODE_EXTRA_CA_CERTS). */
export { SERVICE_ACCOUNT_CA };

/** Rights on the Lease `name` in the account's namespace: create (a create cannot be limited by name), get and update on that name only. */
export function leaseRules(name: string): Rule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [name] },
  ];
}

/** The Lease's name and the API server's CA, under the service's own variable names (SERVICE_ENV). */
export function leaseEnv(names: { readonly leaseName: string; readonly extraCaCerts: string }, lease: string): k8s.EnvVar[] {
  return [
    { name: names.leaseName, value: lease },
    { name: names.extraCaCerts, value: SERVICE_ACCOUNT_CA },
  ];
}
