import type { ServiceDefinition } from '../kit/run.js';
import type { EnvSchema } from '../kit/config.js';

/** The self-healing executor (work in progress: routes are added by the executor work of issue 10). */
export const selfHealingService: ServiceDefinition<EnvSchema> = {
  name: 'self-healing',
  build: () => {},
};
