import type { SourceRef } from '@callpermit/core';
import { translateApiCall } from './apiCall.js';
import type { Batch } from './batch.js';
import { captureLine } from './captureLine.js';
import { parseInstant } from './instant.js';
import { MessageMemory } from './memory.js';
import type { LineOutcome } from './outcome.js';
import { check, Refusal } from './refusal.js';
import { translateWebhook } from './webhook.js';

export interface TranslatorOptions {
  /** Template names known to carry a call_permission_request component. */
  templates?: Iterable<string>;
}

/**
 * Turns Meta's wire formats into facts. It is stateful across lines, in the order given: it learns which
 * templates carry a permission request (template creation calls, plus `options.templates`) and which message
 * ids the business sent are permission requests or other messages (their statuses are then ignored). Message
 * ids are forgotten after about a month of capture time (see MessageMemory), so memory stays bounded.
 */
export class Translator {
  readonly #templates: Set<string>;
  readonly #memory = new MessageMemory();

  constructor(options: TranslatorOptions = {}) {
    this.#templates = new Set(options.templates ?? []);
  }

  get templates(): ReadonlySet<string> {
    return this.#templates;
  }

  /** One capture line (raw text, see docs/capture-format.md). `ref` goes into each fact's source.ref. */
  line(raw: string, ref: string): LineOutcome {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      return { kind: 'rejected', path: '', reason: `invalid JSON: ${(error as Error).message}` };
    }
    return refusing(() => {
      const line = check(captureLine, json, '');
      if (line.kind === 'api_call')
        return this.#run('api_call', ref, (batch) => translateApiCall(json, '', batch));
      const receivedAt = line.received_at === undefined ? undefined : parseInstant(line.received_at);
      // A wrapped webhook's paths start at `payload`; a bare body is the line itself.
      const [body, prefix] = line.kind === 'webhook' ? [line.payload, 'payload'] : [json, ''];
      return this.#run('webhook', ref, (batch) => translateWebhook(body, receivedAt, prefix, batch));
    });
  }

  /** A webhook body exactly as Meta POSTs it; `receivedAt` (Unix s) is the fallback instant for items without a timestamp. */
  webhook(body: unknown, receivedAt: number | undefined, ref: string): LineOutcome {
    return refusing(() =>
      this.#run('webhook', ref, (batch) => translateWebhook(body, receivedAt, '', batch)),
    );
  }

  /** One logged Graph API call: {at, request:{method,path,body?}, response:{status, body?}}; `at` is ISO-8601 or Unix s. */
  apiCall(entry: unknown, ref: string): LineOutcome {
    return refusing(() => this.#run('api_call', ref, (batch) => translateApiCall(entry, '', batch)));
  }

  #run(kind: SourceRef['kind'], ref: string, work: (batch: Batch) => void): LineOutcome {
    const batch: Batch = {
      source: { kind, ref },
      facts: [],
      ignored: 0,
      memory: this.#memory,
      templates: this.#templates,
    };
    work(batch);
    return { kind: 'facts', facts: batch.facts, ignored: batch.ignored };
  }
}

/** A Refusal anywhere in the work refuses the whole line; anything else is a bug and propagates. */
function refusing(work: () => LineOutcome): LineOutcome {
  try {
    return work();
  } catch (error) {
    if (error instanceof Refusal) return { kind: 'rejected', path: error.path, reason: error.reason };
    throw error;
  }
}
