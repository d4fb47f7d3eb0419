import type { ConstructRender } from './construct.js';
import { workload } from './render.js';

/** In-cluster host of a platform Service of the default release. */
export const SVC = (name: string) => `aiops-platform-${name}.aiops-platform.svc.cluster.local`;

/** Variables every platform service gets before its own. */
export const COMMON_ENV = ['BASE_PATH', 'LOG_LEVEL', 'PORT', 'METRICS_PORT', 'POD_NAME', 'POD_NAMESPACE'];

/** An env value read from a Secret key. */
export const secretRef = (name: string, key: string) => ({ secretKeyRef: { name, key } });

/** Accessors for one platform service (`app` = app.kubernetes.io/name) in a construct render. */
export function platformService(app: string) {
  const name = `aiops-platform-${app}`;
  const { object: deployment, container } = workload('Deployment', name);
  return {
    name,
    deployment,
    container,
    /** Only the service's own objects. */
    own: (r: ConstructRender) => r.objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === app),
    /** The service's env without the common variables. */
    ownEnv: (r: ConstructRender) => container(r).env.filter((e: { name: string }) => !COMMON_ENV.includes(e.name)),
  };
}
