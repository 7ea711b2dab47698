export { createLogger, type CreateLoggerOptions, type Logger, REDACTED_PATHS } from './create-logger';
export { redactUrl } from './redact-url';
