// The change feed's two background loops in a serving process, each on a timer of its own: the materialiser
// (writes the changes time alone makes, once their instant passes) and the webhook deliverer. Here, not in
// core, the clock is read. A step that fails (the database away for a moment) is logged and tried again at
// the next tick; `stop` waits for the step in flight, so SIGTERM never cuts a commit or a delivery halfway.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Engine } from '@callpermit/core';
import type { SubscriptionSpec, SubscriptionStore } from '@callpermit/store';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { Deliverer, type DeliveryPolicy } from './delivery.js';

export interface FeedRunnerOptions {
  /** An engine with the `changeFeed` option (without it the materialiser has nothing to do). */
  readonly engine: Engine;
  readonly subscriptions: SubscriptionStore;
  /** The subscriptions file's entries (`CALLPERMIT_SUBSCRIPTIONS_FILE`), synced into the store at start. */
  readonly fileSubscriptions?: readonly SubscriptionSpec[] | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Milliseconds between two materialiser steps (default 1000) and two delivery rounds (default 200). */
  readonly materialiseEveryMs?: number;
  readonly deliverEveryMs?: number;
  readonly delivery?: Partial<DeliveryPolicy>;
  /** The clock, Unix seconds with fractions (default the system's). */
  readonly now?: () => number;
}

export interface FeedRunner {
  /** This process's name in the subscriptions it claims. */
  readonly owner: string;
  /** Stops both loops, waiting for the steps in flight. */
  stop(): Promise<void>;
}

/** A step run again `everyMs` after it ends, until stopped. */
class Loop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly everyMs: number,
    private readonly step: () => Promise<void>,
    private readonly log: Logger,
  ) {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.step()
        .catch((error: Error) =>
          this.log.error(
            { loop: this.name, err: { name: error.name, message: error.message } },
            'feed step failed',
          ),
        )
        .finally(() => this.schedule(this.everyMs));
    }, ms);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/** Syncs the file's subscriptions, then starts the materialiser and the deliverer. */
export async function startFeedRunner(options: FeedRunnerOptions): Promise<FeedRunner> {
  const now = options.now ?? (() => Date.now() / 1000);
  if (options.fileSubscriptions !== undefined)
    await options.subscriptions.syncFile(options.fileSubscriptions);
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const deliverer = new Deliverer({
    store: options.engine.store,
    subscriptions: options.subscriptions,
    owner,
    now,
    random: Math.random,
    log: options.log,
    metrics: options.metrics,
    ...(options.delivery === undefined ? {} : { policy: options.delivery }),
  });
  const loops = [
    new Loop(
      'materialise',
      options.materialiseEveryMs ?? 1000,
      async () => {
        const done = await options.engine.materialise(Math.floor(now()));
        options.metrics.materialised.inc(done.changes);
      },
      options.log,
    ),
    new Loop(
      'deliver',
      options.deliverEveryMs ?? 200,
      async () => {
        await deliverer.round();
      },
      options.log,
    ),
  ];
  return {
    owner,
    stop: async () => {
      await Promise.all(loops.map((l) => l.stop()));
      await deliverer.stop();
    },
  };
}
