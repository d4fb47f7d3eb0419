import { shellQuote } from '../lib/shell-scripts.js';
import { APPLYSET_CRD_NAME, APPLYSET_FIELD_MANAGER, APPLYSET_FILES, applysetFlag } from './applyset.js';

/** A path as the shell reads it: bare when it is plain, quoted otherwise. */
const word = (path: string): string => (/^[\w@%+=:,./-]+$/.test(path) ? path : shellQuote(path));

/**
 * The commands of pruning with the release's ApplySet (cli/applyset.ts), for the summary and the
 * README (a test runs them with real kubectl): `bootstrap` once per cluster and release, `apply`
 * every time. A first pruned apply over objects applied without pruning adopts them (kubectl
 * labels them).
 */
export function pruneCommands(release: string, folder: string, applysetFolder: string): { bootstrap: string[]; apply: string } {
  return {
    bootstrap: [
      `kubectl apply --server-side -f ${word(`${folder}/${applysetFolder}/${APPLYSET_FILES.crd}`)}`,
      `kubectl wait --for=condition=Established crd/${APPLYSET_CRD_NAME}`,
      `kubectl apply --server-side --field-manager=${APPLYSET_FIELD_MANAGER} -f ${word(`${folder}/${applysetFolder}/${APPLYSET_FILES.parent(release)}`)}`,
    ],
    apply: `KUBECTL_APPLYSET=true kubectl apply --server-side --prune --applyset=${applysetFlag(release)} -f ${word(`${folder}/`)}`,
  };
}
