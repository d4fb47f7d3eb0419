import { expect } from 'vitest';
import { ConfigError } from '../../../src/services/kit/config.js';

/** The lines of the ConfigError that `load` throws (fails the test when it throws anything else or nothing). */
export function problems(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).lines;
  }
  throw new Error('expected a ConfigError');
}
