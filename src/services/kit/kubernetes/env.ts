import { envOptionalString, envString } from '../config.js';
import { SERVICE_ACCOUNT_TOKEN_FILE } from './client.js';

/**
 * The two overrides of the in-cluster Kubernetes connection a service reads (the chart sets
 * neither: in a pod the defaults are right; tests point them at a local fake API server).
 */
export const kubernetesEnvShape = {
  /** API server URL; default in-cluster (https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT). */
  KUBERNETES_API_URL: envOptionalString(),
  /** Service-account token file, re-read every minute (bound tokens rotate). */
  KUBERNETES_TOKEN_FILE: envString({ default: SERVICE_ACCOUNT_TOKEN_FILE }),
};
