import type { PolicyBook } from '@callpermit/core';

/** The policy file is wrong at `path` (a JSON path, '' for the whole file) for `reason`. */
export class PolicyFileError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(path === '' ? `policy file: ${reason}` : `policy file: ${path}: ${reason}`);
    this.name = 'PolicyFileError';
    this.path = path;
    this.reason = reason;
  }
}

export function parsePolicyFile(_json: unknown): PolicyBook {
  throw new PolicyFileError('', 'not implemented');
}
