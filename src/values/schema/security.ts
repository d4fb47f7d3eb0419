import * as z from 'zod';
import type { Profile } from './profile.js';
import { labelMap } from './metadata.js';
import { singleLine } from './text.js';
import { dnsLabel, objectName } from './primitives.js';

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
      enabled: z
        .boolean()
        .default(p.pick(false, true))
        .describe('One allow NetworkPolicy per workload, from the component graph: only its edges, DNS and the API server are allowed (default false; production true).'),
      /**
       * Cilium identifies the API server and the nodes by entity, not by address: an `ipBlock`
       * matches them only with `policy-cidr-match-mode: nodes` (Cilium ≥ 1.15), so with the plain
       * Kubernetes flavor on Cilium the API server and node-exporter edges are cut.
       */
      flavor: z
        .enum(['kubernetes', 'cilium'])
        .default('kubernetes')
        .describe(
          'kubernetes: NetworkPolicies only, the API server and the nodes by kubeApiServerCidrs/nodeCidrs. cilium: the same NetworkPolicies for pod-to-pod edges plus one CiliumNetworkPolicy (cilium.io/v2) per workload that reaches the API server (toEntities kube-apiserver) or the nodes (toEntities host, remote-node); the CIDRs are then unused (default kubernetes).',
        ),
      /** Needs `enabled`: default-deny without the allow policies would cut every connection. */
      defaultDeny: z
        .boolean()
        .optional()
        .describe('Also a default-deny policy for every other pod of the platform and node agents\' namespaces; needs enabled (default: the value of enabled).'),
      /**
       * The pods that call the API server: Prometheus discovery, Traefik, kube-state-metrics,
       * Filebeat, the self-healing executor, the transport-CA Job. The chart cannot know the API
       * server's address: the default allows any; narrow it to the API server's IPs (`kubectl get
       * endpointslices -n default -l kubernetes.io/service-name=kubernetes`), add an IPv6 CIDR on
       * IPv6 clusters. Cilium matches addresses of cluster nodes by CIDR only with
       * `policy-cidr-match-mode: nodes`.
       */
      kubeApiServerCidrs: z
        .array(cidr)
        .min(1)
        .default(['0.0.0.0/0'])
        .describe('CIDRs of the Kubernetes API server, for the pods that call it (egress on 443 and 6443); narrow the default to its IPs (default [0.0.0.0/0]: any).'),
      /**
       * NetworkPolicies do not select host-network pods, so the node IP is the only handle on
       * node-exporter; Cilium needs `policy-cidr-match-mode: nodes` for this, as for the API server.
       */
      nodeCidrs: z
        .array(cidr)
        .min(1)
        .default(['0.0.0.0/0'])
        .describe('CIDRs of the nodes, for Prometheus scraping node-exporter on the host network (egress on nodeExporter.port) and the kubelets\' cAdvisor (port 10250, with prometheus.kubelet.enabled); narrow it to the node subnet (default [0.0.0.0/0]: any).'),
      dns: z
        .strictObject({
          namespace: dnsLabel
            .default('kube-system')
            .describe('Namespace of the DNS pods, matched by its kubernetes.io/metadata.name label (default kube-system).'),
          podSelector: labelMap
            .default({ 'k8s-app': 'kube-dns' })
            .describe('Labels of the DNS pods; CoreDNS keeps k8s-app: kube-dns on kubeadm, k3s, EKS, GKE and AKS (default {k8s-app: kube-dns}).'),
          cidrs: z
            .array(cidr)
            .default([])
            .describe('Further DNS destinations by IP, e.g. 169.254.20.10/32 for NodeLocal DNSCache on the host network (default []).'),
        })
        .prefault({})
        .describe('The cluster DNS every pod queries on port 53 (UDP and TCP).'),
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
    })
    .describe('NetworkPolicies from the component graph; they need a CNI that enforces them (Calico, Cilium, Antrea, …).');

/** `podSecurityPolicy.*`: PSP was removed in Kubernetes 1.25; this maps to Pod Security Admission labels. */
export const podSecurityPolicySchema = () =>
  z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe('Enforce the restricted Pod Security Standard on the platform namespace; warn and audit labels are always set (default false).'),
    })
    .prefault({})
    .describe('Pod security: PodSecurityPolicy was removed in Kubernetes 1.25, so this maps to Pod Security Admission labels.');

/** Longest Go time.Duration (int64 nanoseconds), in seconds: external-secrets parses refreshInterval as one. */
const MAX_GO_DURATION_SECONDS = 9_223_372_036;

/** `secrets.*`: external secret management. */
export const secretsSchema = () =>
  z
    .strictObject({
      external: z
        .boolean()
        .default(false)
        .describe('Render ExternalSecret objects (external-secrets operator) instead of Secrets (default false).'),
      provider: z.enum(['vault']).default('vault').describe('Secret backend (default vault).'),
      vaultPath: singleLine('secrets.vaultPath').min(1).default('secret/aiops').describe('Path of the platform\'s secrets in the backend, one entry per component below it (default secret/aiops).'),
      store: z
        .strictObject({
          kind: z
            .enum(['ClusterSecretStore', 'SecretStore'])
            .default('ClusterSecretStore')
            .describe('Kind of the store (default ClusterSecretStore).'),
          name: objectName.default('vault').describe('Name of the store (default vault).'),
        })
        .prefault({})
        .describe('The external-secrets store the ExternalSecrets read from (default {kind: ClusterSecretStore, name: vault}).'),
      refreshInterval: z
        .string()
        .regex(/^\d+[smh]$/, { error: (i) => `expected a duration such as 30m or 1h (a number and s, m or h), found ${JSON.stringify(i.input)}` })
        .refine((d) => Number(d.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[d.slice(-1) as 's' | 'm' | 'h'] <= MAX_GO_DURATION_SECONDS, {
          error: (i) => `duration ${JSON.stringify(i.input)} is out of range (at most about 292 years, a Go time.Duration)`,
        })
        .default('1h')
        .describe('How often the ExternalSecrets refresh, e.g. 30m (default 1h).'),
    })
    .prefault({})
    .describe('External secret management: ExternalSecrets from a store instead of Secrets from values.');
