/** One invalid environment variable, and why. */
export interface ConfigProblem {
  readonly variable: string;
  /** One line: `PORT: must be an integer from 1 to 65535, got "abc"` (secrets never echoed). */
  readonly line: string;
}

/** The environment does not describe a runnable Coinstile: the message has one line per bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => p.line).join('\n'));
    this.problems = problems;
  }
}
