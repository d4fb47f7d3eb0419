import { z } from 'zod';
import type { Profile } from './profile.js';
import { dnsLabel, objectName, stringMap } from './primitives.js';

/** An IPv4 CIDR such as 10.0.0.0/16, or an IPv6 one such as fd00::/8. */
const cidr = z.string().refine(isCidr, {
  error: (issue) => `expected a CIDR such as 10.0.0.0/16 or fd00::/8, found "${String(issue.input)}"`,
});

function isCidr(value: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32;
  const v6 = /^([0-9a-fA-F:]*:[0-9a-fA-F:]*)\/(\d{1,3})$/.exec(value);
  return v6 !== null && Number(v6[2]) <= 128 && (v6[1]!.match(/::/g) ?? []).length <= 1;
}

/**
 * `networkPolicy.*`: NetworkPolicies from the component graph (see
 * src/components/platform/network-graph.ts). They need a CNI that enforces them (Calico, Cilium,
 * Antrea, …); kubelet probes come from the node, which most CNIs always let through.
 */
export const networkPolicySchema = (p: Profile) =>
  z
    .strictObject({
      /**
       * One allow policy per workload, from the edges of the component graph; the chart's pods are then
       * isolated: only the graph's edges, DNS and the API server are allowed (default false in
       * development, true in production).
       */
      enabled: z.boolean().default(p.pick(false, true)),
      /**
       * Also a default-deny policy in the platform and the node agents' namespaces, for every other pod
       * there (default: the value of `enabled`, so false in development and true in production).
       * Needs `enabled`: default-deny without the allow policies would cut every connection.
       */
      defaultDeny: z.boolean().optional(),
      /**
       * Where the Kubernetes API server is, for the pods that call it (Prometheus discovery, Traefik,
       * kube-state-metrics, Filebeat, the self-healing executor, the transport-CA Job): egress on 443
       * and 6443 to these CIDRs. The chart cannot know the address: the default allows any
       * (['0.0.0.0/0']); narrow it to the API server's IPs (`kubectl get endpointslices -n default
       * -l kubernetes.io/service-name=kubernetes`), add an IPv6 CIDR on IPv6 clusters. Cilium matches
       * addresses of cluster nodes by CIDR only with `policy-cidr-match-mode: nodes`.
       */
      kubeApiServerCidrs: z.array(cidr).min(1).default(['0.0.0.0/0']),
      /**
       * The nodes' IPs, for Prometheus scraping node-exporter on the host network (NetworkPolicies
       * do not select host-network pods, so the node IP is the only handle): egress on
       * `nodeExporter.port` to these CIDRs (default ['0.0.0.0/0']: any; narrow it to the node subnet;
       * Cilium needs `policy-cidr-match-mode: nodes` for this, as for the API server).
       */
      nodeCidrs: z.array(cidr).min(1).default(['0.0.0.0/0']),
      /** The cluster DNS every pod queries on port 53 (UDP and TCP). */
      dns: z
        .strictObject({
          /** Namespace of the DNS pods (default kube-system); matched by its `kubernetes.io/metadata.name` label. */
          namespace: dnsLabel.default('kube-system'),
          /** Labels of the DNS pods (default {k8s-app: kube-dns}, which CoreDNS keeps on kubeadm, k3s, EKS, GKE and AKS). */
          podSelector: stringMap.default({ 'k8s-app': 'kube-dns' }),
          /** Further DNS destinations by IP, e.g. ['169.254.20.10/32'] for NodeLocal DNSCache on the host network (default []). */
          cidrs: z.array(cidr).default([]),
        })
        .prefault({}),
    })
    .prefault({})
    .transform((v, ctx) => {
      const defaultDeny = v.defaultDeny ?? v.enabled;
      if (defaultDeny && !v.enabled) {
        ctx.addIssue({
          code: 'custom',
          path: ['defaultDeny'],
          input: true,
          message:
            'defaultDeny without enabled would deny every connection of the platform (DNS included) with no allow policy: set networkPolicy.enabled: true, or defaultDeny: false',
        });
      }
      const { enabled, defaultDeny: _given, ...rest } = v;
      return { enabled, defaultDeny, ...rest };
    });

/** `podSecurityPolicy.*`: PSP was removed in Kubernetes 1.25; this maps to Pod Security Admission labels. */
export const podSecurityPolicySchema = () =>
  z
    .strictObject({
      /** Enforce the restricted Pod Security Standard on the namespace (default false; warn/audit labels are always set). */
      enabled: z.boolean().default(false),
    })
    .prefault({});

/** `secrets.*`: external secret management. */
export const secretsSchema = () =>
  z
    .strictObject({
      /** Produce ExternalSecret objects instead of Secrets (default false). */
      external: z.boolean().default(false),
      /** Secret backend (default vault). */
      provider: z.enum(['vault']).default('vault'),
      /** Path of the platform's secrets in the backend (default secret/aiops). */
      vaultPath: z.string().min(1).default('secret/aiops'),
      /** The external-secrets store to read from (default ClusterSecretStore "vault"). */
      store: z
        .strictObject({
          kind: z.enum(['ClusterSecretStore', 'SecretStore']).default('ClusterSecretStore'),
          name: objectName.default('vault'),
        })
        .prefault({}),
      /** How often ExternalSecrets refresh (default 1h). */
      refreshInterval: z.string().regex(/^\d+[smh]$/).default('1h'),
    })
    .prefault({});
