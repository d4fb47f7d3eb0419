/**
 * The log level of the platform's log documents: the ECS field `log.level`, which the Logstash
 * pipeline writes (src/components/logging/log-level-rules.ts) and the AI engine's logs source
 * searches (src/services/ai-engine/sources/log-queries.ts).
 */

/** The values of `log.level`, lowercase, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** One value of `log.level`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The path of the level in a log document: `log.level` in Elasticsearch, `[log][level]` in Logstash. */
export const LOG_LEVEL_PATH = ['log', 'level'] as const;
