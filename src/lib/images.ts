import type { ImageValues } from '../values/schema/common.js';
import type { PlatformContext } from './context.js';

/** Full image reference; `global.imageRegistry` replaces the image's own registry. */
function imageRef(ctx: PlatformContext, image: ImageValues): string {
  const registry = ctx.global.imageRegistry || image.registry;
  const base = `${registry ? `${registry.replace(/\/+$/, '')}/` : ''}${image.repository}:${image.tag}`;
  return image.digest ? `${base}@${image.digest}` : base;
}

/**
 * Image fields of a container: reference and pull policy. Unless values choose, a tag (which its
 * publisher may push again, e.g. a rebuild on a patched base image) is pulled Always, so that every
 * node runs the same image; a digest cannot change, so IfNotPresent.
 */
export function containerImage(ctx: PlatformContext, image: ImageValues): { image: string; imagePullPolicy: string } {
  return { image: imageRef(ctx, image), imagePullPolicy: image.pullPolicy ?? (image.digest ? 'IfNotPresent' : 'Always') };
}
