import { MAX_REF_LENGTH, type SourceRef, textProblem } from '@callpermit/core';
import { type GraphAttempt, type GraphRequest, graphAttempt, translateApiCall } from './apiCall.js';
import type { Batch } from './batch.js';
import { captureLine } from './captureLine.js';
import { MessageMemory } from './memory.js';
import type { LineOutcome } from './outcome.js';
import { translateWebhook } from './webhook.js';
import { readInstant } from './wire.js';
import { check, WireRefusal } from './wireRefusal.js';

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

  /** Template names learnt elsewhere (e.g. TemplateKnown facts another process recorded) to know from now on. */
  knowTemplates(names: Iterable<string>): void {
    for (const name of names) this.#templates.add(name);
  }

  /**
   * The permission request or call a Graph request attempts (see `graphAttempt`), with the templates this
   * translator knows: what the guard decides before forwarding. Undefined for anything else.
   */
  attempt(request: GraphRequest): GraphAttempt | undefined {
    return graphAttempt(request, this.#templates);
  }

  /**
   * One capture line (raw text, see docs/capture-format.md). `ref` goes into each fact's source.ref.
   * Like every method here that reads input, it never throws: whatever it is given, what cannot be read is a
   * `rejected` outcome naming the path (or the argument: `ref`, `receivedAt`) and the reason.
   */
  line(raw: string, ref: string): LineOutcome {
    if (typeof raw !== 'string')
      return { kind: 'rejected', path: '', reason: `expected a line of text, got ${typeof raw}` };
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      return { kind: 'rejected', path: '', reason: `invalid JSON: ${(error as Error).message}` };
    }
    try {
      checkRef(ref);
      const line = check(captureLine, json, '');
      if (line.kind === 'api_call') return this.#apiCall(json, ref);
      const receivedAt =
        line.received_at === undefined ? undefined : readInstant(line.received_at, receivedAtPath);
      // A wrapped webhook's paths start at `payload`; a bare body is the line itself.
      return line.kind === 'webhook'
        ? this.#webhook(line.payload, receivedAt, 'payload', ref)
        : this.#webhook(json, receivedAt, '', ref);
    } catch (error) {
      return refused(error);
    }
  }

  /**
   * A webhook body exactly as Meta POSTs it (parsed JSON). `receivedAt`, the fallback instant for items
   * without a timestamp, is Unix seconds or a Date (or text, read as `parseInstant` reads it), checked as core
   * checks instants: milliseconds are refused.
   */
  webhook(body: unknown, receivedAt: number | Date | undefined, ref: string): LineOutcome {
    try {
      checkRef(ref);
      const at = receivedAt === undefined ? undefined : readInstant(receivedAt, receivedAtArgument);
      return this.#webhook(body, at, '', ref);
    } catch (error) {
      return refused(error);
    }
  }

  /** One logged Graph API call: {at, request:{method,path,body?}, response:{status, body?}}; `at` is ISO-8601 or Unix s. */
  apiCall(entry: unknown, ref: string): LineOutcome {
    try {
      checkRef(ref);
      return this.#apiCall(entry, ref);
    } catch (error) {
      return refused(error);
    }
  }

  #webhook(body: unknown, receivedAt: number | undefined, prefix: string, ref: string): LineOutcome {
    const batch = this.#batch('webhook', ref);
    translateWebhook(body, receivedAt, prefix, batch);
    return { kind: 'facts', facts: batch.facts, ignored: batch.ignored };
  }

  #apiCall(entry: unknown, ref: string): LineOutcome {
    const batch = this.#batch('api_call', ref);
    translateApiCall(entry, '', batch);
    return { kind: 'facts', facts: batch.facts, ignored: batch.ignored };
  }

  #batch(kind: SourceRef['kind'], ref: string): Batch {
    return { source: { kind, ref }, facts: [], ignored: 0, memory: this.#memory, templates: this.#templates };
  }
}

const receivedAtPath = () => 'received_at';
const receivedAtArgument = () => 'receivedAt';

/** `ref` becomes each fact's source.ref: text core stores (see MAX_REF_LENGTH). */
function checkRef(ref: unknown): void {
  const problem = textProblem(ref, MAX_REF_LENGTH, true);
  if (problem !== undefined) throw new WireRefusal('ref', problem);
}

/** How a rejected outcome begins when reading the input threw (a getter, a proxy), not a WireRefusal. */
export const UNEXPECTED = 'could not read the input: ';

/**
 * A WireRefusal anywhere refuses the whole line (its facts are dropped with it). Any other error (an object whose
 * getter throws, or a bug of the translator) refuses the line too, with the error's message, rather than
 * being thrown at the caller, who keeps the raw input as with any rejected one. The property tests check that
 * JSON input never ends here.
 */
function refused(error: unknown): LineOutcome {
  if (error instanceof WireRefusal) return { kind: 'rejected', path: error.path, reason: error.reason };
  const message = error instanceof Error ? error.message : typeof error;
  return { kind: 'rejected', path: '', reason: `${UNEXPECTED}${message}` };
}
