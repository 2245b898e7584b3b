/**
 * A configuration problem: never retried (docs/brokers.md, "Errors and retry policies"). `problems` holds one
 * human-readable line per problem; the message lists them all so nothing is lost when only the message is
 * logged. Lines never contain secret values.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  /** Warnings found along the way (unknown keys, ...), so a caller can show them with the problems. */
  readonly warnings: readonly string[];

  constructor(problems: readonly string[] | string, warnings: readonly string[] = []) {
    const list = typeof problems === 'string' ? [problems] : [...problems];
    super(
      list.length === 1
        ? (list[0] ?? '')
        : `${list.length} configuration problems:\n${list.map((p) => `  - ${p}`).join('\n')}`,
    );
    // Temporal uses the error name as the failure type; retry policies mark `ConfigError` non-retryable.
    this.name = 'ConfigError';
    this.problems = list;
    this.warnings = [...warnings];
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError' && Array.isArray((e as ConfigError).problems));
}
