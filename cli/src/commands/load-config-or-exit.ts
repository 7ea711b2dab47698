import { type Config, ConfigError, loadConfig } from '@coinstile/platform';

/** Exit code for a configuration the operator must fix (distinct from a crash). */
export const EXIT_BAD_CONFIG = 2;

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`coinstile: invalid configuration\n${err.message}\n`);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw err;
  }
}
