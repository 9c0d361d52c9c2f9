import type { Instant, RequestChannel } from '@callpermit/core';

/** What the API log says a message the business sent is: a permission request (by channel), or `other`. */
export type MessageKind = Exclude<RequestChannel, 'unknown'> | 'other';

const DAY = 86400;
/**
 * How long a message id is remembered, in capture time: at least RETENTION, at most RETENTION + GENERATION.
 * Statuses usually follow a send within minutes, but `read` can come days later, Meta redelivers webhooks for
 * up to 7 days, and a request stays answerable for 7 days after delivery. A month covers all of that with
 * room to spare, while a translator replaying years of traffic holds only about a month of ids.
 */
const RETENTION = 30 * DAY;
const GENERATION = 10 * DAY;
const GENERATIONS = RETENTION / GENERATION + 1;

/**
 * Message ids the business sent, by kind, forgotten by generation: ids live in the generation of the capture
 * time they were learnt at, and whole generations are dropped as capture time moves on. Capture time is the
 * latest instant seen, so a replay forgets exactly as a live run would; lookups never move it backwards.
 */
export class MessageMemory {
  /** Newest first. */
  readonly #generations: Map<string, MessageKind>[] = [new Map()];
  #newestStart: Instant | undefined;

  /** Moves capture time to `at` (if later) and drops generations that fell out of the retention window. */
  advance(at: Instant): void {
    if (this.#newestStart === undefined) {
      this.#newestStart = at;
      return;
    }
    const steps = Math.floor((at - this.#newestStart) / GENERATION);
    if (steps <= 0) return;
    this.#newestStart += steps * GENERATION;
    for (let i = 0; i < Math.min(steps, GENERATIONS); i++) this.#generations.unshift(new Map());
    this.#generations.length = Math.min(this.#generations.length, GENERATIONS);
  }

  remember(id: string, kind: MessageKind, at: Instant): void {
    this.advance(at);
    this.#generations[0]?.set(id, kind);
  }

  /** What `id` is, if learnt within the retention window of capture time `at`. */
  recall(id: string, at: Instant): MessageKind | undefined {
    this.advance(at);
    for (const generation of this.#generations) {
      const kind = generation.get(id);
      if (kind !== undefined) return kind;
    }
    return undefined;
  }

  /** Ids currently remembered (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const generation of this.#generations) n += generation.size;
    return n;
  }
}
