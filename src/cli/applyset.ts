import { createHash } from 'node:crypto';
import { manifestYaml } from '../lib/yaml-output.js';

/**
 * Pruning with kubectl's ApplySets (KEP 3659): the parent object that records which objects a
 * release has, so that `kubectl apply --prune --applyset=…` deletes exactly the objects of this
 * release that a values change dropped.
 *
 * Why a cluster-scoped custom resource as parent, and not the Secret kubectl would create itself
 * (measured with kubectl 1.35 against a recording API server): a Secret parent needs `-n`, and with
 * `-n` kubectl refuses every object of another namespace, while the render has two (the platform's
 * and the node agents' privileged one) plus cluster-scoped objects. A cluster-scoped parent takes
 * them all in one command without `-n`. kubectl never creates a custom-resource parent, so the
 * parent and its CustomResourceDefinition are applied once before the first pruned apply
 * (cli/prune-scripts.ts). The objects are not labelled by the render: kubectl adds
 * `applyset.kubernetes.io/part-of` itself and refuses input that already carries it.
 */

/** API group of the parent type (a group of the platform's own: no other tool defines it). */
export const APPLYSET_GROUP = 'aiops-platform.io';
const KIND = 'ApplySet';
const PLURAL = 'applysets';
const VERSION = 'v1';
/** Name of the CustomResourceDefinition (`<plural>.<group>`). */
export const APPLYSET_CRD_NAME = `${PLURAL}.${APPLYSET_GROUP}`;
/**
 * kubectl refuses an existing parent without a tooling annotation naming it; the version part is
 * not compared (kubectl writes its own on the first pruned apply). 1.27 is the first kubectl with ApplySets.
 */
const TOOLING = 'kubectl/v1.27.0';
/** The field manager kubectl's ApplySet code writes the parent with: the parent is applied with it too, so that kubectl's later updates of its annotations are no server-side apply conflict. */
export const APPLYSET_FIELD_MANAGER = 'kubectl-applyset';

/**
 * The ApplySet id kubectl computes for a parent and checks against its `applyset.kubernetes.io/id`
 * label (and writes into every member's `applyset.kubernetes.io/part-of`):
 * `applyset-<base64url(sha256(<name>.<namespace>.<Kind>.<group>))>-v1`, the namespace empty for
 * a cluster-scoped parent.
 */
export function applysetId(release: string): string {
  const digest = createHash('sha256').update(`${release}..${KIND}.${APPLYSET_GROUP}`).digest('base64url');
  return `applyset-${digest}-v1`;
}

/** The CustomResourceDefinition of the parent type, labelled as an ApplySet parent type (kubectl lists CRDs by that label). */
export function applysetCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: APPLYSET_CRD_NAME, labels: { 'applyset.kubernetes.io/is-parent-type': 'true' } },
    spec: {
      group: APPLYSET_GROUP,
      scope: 'Cluster',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: KIND.toLowerCase() },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'The parent of an aiops-platform release\'s ApplySet: kubectl records the release\'s kinds and namespaces in its annotations, and prunes the objects labelled with its id that a later apply no longer has.',
            },
          },
        },
      ],
    },
  };
}

/**
 * The release's parent object. Its annotations start empty and kubectl keeps them: it records the
 * group-kinds and namespaces of the last pruned apply there, and prunes by them.
 */
export function applysetParent(release: string): Record<string, unknown> {
  return {
    apiVersion: `${APPLYSET_GROUP}/${VERSION}`,
    kind: KIND,
    metadata: {
      name: release,
      labels: { 'applyset.kubernetes.io/id': applysetId(release) },
      annotations: { 'applyset.kubernetes.io/tooling': TOOLING, 'applyset.kubernetes.io/contains-group-kinds': '' },
    },
  };
}

/** The `--applyset` flag's value: `<resource>.<group>/<name>`. */
export const applysetFlag = (release: string): string => `${PLURAL}.${APPLYSET_GROUP}/${release}`;

/** File names of the two bootstrap files in the applyset folder (CRD first: the parent's kind exists only once it is established). */
export const APPLYSET_FILES = { crd: 'applyset-crd.k8s.yaml', parent: (release: string) => `${release}-applyset.k8s.yaml` } as const;

/** The bootstrap files (relative to the applyset folder). */
export function applysetFiles(release: string): Record<string, string> {
  return { [APPLYSET_FILES.crd]: manifestYaml([applysetCrd()]), [APPLYSET_FILES.parent(release)]: manifestYaml([applysetParent(release)]) };
}
