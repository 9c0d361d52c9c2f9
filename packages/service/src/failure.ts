/**
 * The options name something that cannot be used (a store that cannot be opened, a policy file that cannot
 * be read or does not match the store): one clear line, no stack trace. The CLI prints it as
 * `callpermit: MESSAGE` and exits with status 1; `serve` refuses to start with it.
 */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}
