/**
 * Where Kubernetes mounts a pod's service-account credentials (`automountServiceAccountToken`):
 * the same paths in every container of the pod.
 */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The bearer token: projected and rotated by the kubelet, so a reader re-reads it (Prometheus does on every scrape). */
export const SERVICE_ACCOUNT_TOKEN = `${SERVICE_ACCOUNT_DIR}/token`;
/** The cluster CA, which signed the API server's certificate (and kubelet serving certificates where the cluster bootstraps them). */
export const SERVICE_ACCOUNT_CA = `${SERVICE_ACCOUNT_DIR}/ca.crt`;
