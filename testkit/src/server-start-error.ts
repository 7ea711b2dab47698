/** A server of the testkit failed to start; the message ends with the tail of its log. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';

  constructor(
    summary: string,
    readonly logFile: string,
    readonly logTail: string,
  ) {
    super(`${summary}\n--- ${logFile} (tail) ---\n${logTail}`);
  }
}
