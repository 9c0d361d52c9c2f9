// A signed-webhook load that runs through faults: every body is delivered until it is acknowledged (as Meta
// retries), each answer is judged against the fault in force when it was sent, and /readyz is watched. A 503 with
// Retry-After while a fault lasts (or while the service recovers just after) is the right answer; a 500, a 503
// without Retry-After or outside a fault, a request left without an answer past the bound, is not.

import type { Tally } from '../scenario.js';
import type { Delivery } from './corpus.js';
import { type Answer, deliver, request } from './services.js';

/** How long a request may take, whatever the fault: past this, it hung. */
export const HANG_BOUND_MS = 15_000;
/** After a fault ends, the service has this long to answer 200 again (new connections, the server's start-up). */
export const RECOVERY_MS = 10_000;

interface Fault {
  readonly name: string;
  readonly from: number;
  to: number | undefined;
}

export class FaultLoad {
  private readonly faults: Fault[] = [];
  private readonly acked = new Set<number>();
  private readonly pending: number[];
  /** /readyz's answers: when, the status, and why when it was not ready (its reason, or the client's failure). */
  private readonly readiness: { at: number; status: number; why?: string }[] = [];
  private stopping = false;
  private finishing = false;
  private redelivery = 0;
  private running: Promise<void> | undefined;
  private watching: Promise<void> | undefined;
  /** Longest answer time seen, per fault name (`none` outside faults). */
  readonly slowest: Record<string, number> = {};
  /** Answers per status, per fault name. */
  readonly statuses: Record<string, Record<string, number>> = {};

  constructor(
    private readonly url: () => string,
    private readonly corpus: readonly Delivery[],
    private readonly tally: Tally,
    private readonly concurrency: number,
    /** Each worker waits this long after an acknowledged delivery: the load lasts through every fault. */
    private paceMs = 0,
  ) {
    this.pending = corpus.map((_, i) => i);
  }

  get acknowledged(): ReadonlySet<number> {
    return this.acked;
  }

  /** Starts delivering (and watching /readyz) until `finish`. */
  start(): void {
    this.running = Promise.all(Array.from({ length: this.concurrency }, () => this.worker())).then(() => {});
    this.watching = this.watchReadiness();
  }

  /** Marks a fault as begun (now) and returns a function that marks its end. */
  fault(name: string): () => void {
    const fault: Fault = { name, from: performance.now(), to: undefined };
    this.faults.push(fault);
    return () => {
      fault.to = performance.now();
    };
  }

  /** Waits until every body is acknowledged (or `ms` pass), then stops the load. */
  async finish(ms: number): Promise<void> {
    this.paceMs = 0;
    this.finishing = true;
    const deadline = performance.now() + ms;
    while (this.acked.size < this.corpus.length && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    this.stopping = true;
    await this.running;
    await this.watching;
  }

  /** The latest fault whose window (its duration and the recovery after it) holds `at`, if any. */
  private faultAt(at: number): Fault | undefined {
    return this.faults.findLast((f) => f.from <= at && (f.to === undefined || at <= f.to + RECOVERY_MS));
  }

  private judge(answer: Answer, sentAt: number, index: number): void {
    const fault = this.faultAt(sentAt) ?? this.faultAt(performance.now());
    const where = fault?.name ?? 'none';
    this.slowest[where] = Math.max(this.slowest[where] ?? 0, Math.round(answer.ms));
    const counts = this.statuses[where] ?? {};
    this.statuses[where] = counts;
    const label =
      answer.status === 0
        ? `no answer (${'failure' in answer ? answer.failure : ''})`
        : String(answer.status);
    counts[label] = (counts[label] ?? 0) + 1;
    if (answer.status === 200) {
      this.acked.add(index);
      return;
    }
    if (answer.status === 0 || answer.ms > HANG_BOUND_MS) {
      this.tally.add(
        'violations',
        1,
        `a delivery ${fault ? `during ${fault.name}` : 'outside any fault'} got no answer within ${HANG_BOUND_MS} ms`,
      );
      return;
    }
    const expected = answer.status === 503 && answer.retryAfter !== null && fault !== undefined;
    if (!expected)
      this.tally.add(
        answer.status >= 500 ? 'serverErrors' : 'violations',
        1,
        `${answer.status}${answer.status === 503 && answer.retryAfter === null ? ' without Retry-After' : ''} ${fault ? `during ${fault.name}` : 'outside any fault'}: ${'text' in answer ? answer.text.slice(0, 160) : ''}`,
      );
  }

  private async worker(): Promise<void> {
    while (!this.stopping) {
      // Everything acknowledged: Meta's redeliveries keep the load on until the end of the schedule.
      const index =
        this.pending.shift() ?? (this.finishing ? undefined : this.redelivery++ % this.corpus.length);
      if (index === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const sentAt = performance.now();
      const answer = await deliver(this.url(), this.corpus[index] as Delivery, HANG_BOUND_MS + 5000);
      this.tally.inputs++;
      this.judge(answer, sentAt, index);
      if (answer.status !== 200) {
        // Meta retries later; the soak does not wait the whole Retry-After, to stay short.
        this.pending.push(index);
        await new Promise((resolve) => setTimeout(resolve, 200));
      } else if (this.paceMs > 0) await new Promise((resolve) => setTimeout(resolve, this.paceMs));
    }
  }

  private async watchReadiness(): Promise<void> {
    while (!this.stopping) {
      const answer = await request(`${this.url()}/readyz`, {}, HANG_BOUND_MS);
      const why =
        answer.status === 200 ? undefined : 'text' in answer ? answer.text.slice(0, 160) : answer.failure;
      this.readiness.push({
        at: performance.now(),
        status: answer.status,
        ...(why === undefined ? {} : { why }),
      });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * /readyz through each fault: 503 seen while it lasted (from a second in, once the service noticed), and 200
   * again within the recovery time after it ended. `expectUnready` false for faults that leave reads working.
   */
  checkReadiness(name: string, expectUnready: boolean): void {
    const fault = this.faults.find((f) => f.name === name);
    if (fault?.to === undefined) return;
    const end = fault.to;
    const during = this.readiness.filter((r) => r.at > fault.from + 1000 && r.at < end);
    if (expectUnready && during.length > 0 && !during.some((r) => r.status === 503))
      this.tally.add('violations', 1, `/readyz never said 503 during ${name}`);
    const unready = during.find((r) => r.status !== 200);
    if (!expectUnready && unready !== undefined)
      this.tally.add(
        'violations',
        1,
        `/readyz was not 200 during ${name}, where reads still work: ${unready.status} ${unready.why ?? ''}`,
      );
    const after = this.readiness.filter((r) => r.at > end);
    const back = after.find((r) => r.status === 200);
    if (after.length > 0 && (back === undefined || back.at - end > RECOVERY_MS))
      this.tally.add('violations', 1, `/readyz was not 200 again within ${RECOVERY_MS} ms after ${name}`);
  }
}
