/** Configuration: TOML files in config/, WEFT_* variables and flags, validated by a zod schema. */
export { loadConfig, describeSource, displayValue } from './load.js';
export type { ConfigFlags, ConfigSource, LoadConfigOptions, LoadedConfig } from './load.js';
export { configSchema, configSections, defaultConcurrency, ENVIRONMENTS, LOG_LEVELS } from './schema.js';
export type { Environment, WeftConfig } from './schema.js';
export { configKeys, keyInfo, keyForEnvVar, coerce, reservedEnvVars } from './keys.js';
export type { KeyInfo, KeyKind } from './keys.js';
export { formatConfig, redactedConfig } from './format.js';
