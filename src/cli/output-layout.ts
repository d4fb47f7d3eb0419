/**
 * The subfolders a render writes beside its manifests (at the top of the output folder, or in an
 * environment's folder). `kubectl apply -f <folder>/` is not recursive, so what is in them is
 * applied on its own, when the README says.
 */

/** The connection-test Pods (a Pod's spec is immutable: applied and deleted on their own, `helm test` style). */
export const TESTS_FOLDER = 'tests';
/** The ApplySet's parent and its CustomResourceDefinition (applied once, before the first pruned apply). */
export const APPLYSET_FOLDER = 'applyset';
