import type { LineOutcome } from './outcome.js';

export interface TranslatorOptions {
  /** Template names known to carry a call_permission_request component. */
  templates?: Iterable<string>;
}

export class Translator {
  readonly #templates: Set<string>;
  constructor(options: TranslatorOptions = {}) {
    this.#templates = new Set(options.templates ?? []);
  }
  get templates(): ReadonlySet<string> {
    return this.#templates;
  }
  /** One capture line (raw text, see docs/capture-format.md). `ref` goes into each fact's source.ref. */
  line(_raw: string, _ref: string): LineOutcome {
    return { kind: 'rejected', path: '', reason: 'not implemented' };
  }
  /** A webhook body exactly as Meta POSTs it; `receivedAt` (Unix s) is the fallback instant for items without a timestamp. */
  webhook(_body: unknown, _receivedAt: number | undefined, _ref: string): LineOutcome {
    return { kind: 'rejected', path: '', reason: 'not implemented' };
  }
  /** One logged Graph API call: {at, request:{method,path,body?}, response:{status, body?}}. */
  apiCall(_entry: unknown, _ref: string): LineOutcome {
    return { kind: 'rejected', path: '', reason: 'not implemented' };
  }
}
