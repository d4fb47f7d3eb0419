import type { ServiceCode } from '../../src/lib/service-code.js';

/**
 * Small fixed stand-ins for the platform services' bundles, which every test render uses: the
 * goldens show the code ConfigMap, the unpack init container and the `checksum/code` annotation,
 * but never change with the services' real code (test/render/object-size.test.ts renders the real
 * bundles).
 */
export const STAND_IN_CODE: ServiceCode = (service) => Buffer.from(`// stand-in for the bundle of ${service} (test renders)\n`);
