/**
 * Credentials inside URLs (`scheme://user:password@host`) are the secret most often logged by accident:
 * connection strings and RPC URLs travel through config, errors and log lines. This masks the password
 * part and keeps the rest readable, so an operator still sees which host was meant.
 */

const URL_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:)[^\s@/?#]*@/gi;

/**
 * `http://user:pass@host:1/x` → `http://user:***@host:1/x`. Works on a bare URL and on free text that
 * contains URLs (error messages, log lines); text without a URL password comes back unchanged.
 */
export function redactUrl(text: string): string {
  return text.replace(URL_WITH_PASSWORD, '$1***@');
}
