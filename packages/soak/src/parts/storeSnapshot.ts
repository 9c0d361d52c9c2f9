// What a store holds, read directly (the service stopped or killed): the log by fact key, the inbox by body
// hash, every head's folded state and the policy kept with it. Two stores that hold the same inputs compare equal
// here whatever order and however many times the inputs arrived.
import { pairStateToJson } from '@callpermit/core';
import { POLICY_SETTING } from '@callpermit/service';
import { openStore, type SqlStore } from '@callpermit/store';
import { factContent } from './reference.js';
import type { StoreTarget } from './services.js';

export interface StoreSnapshot {
  /** Fact key → the fact without its source. */
  readonly facts: ReadonlyMap<string, string>;
  /** Rows of the log: more than `facts.size` would be a key stored twice. */
  readonly factRows: number;
  /** Body hash → outcome and reason. */
  readonly inbox: ReadonlyMap<string, string>;
  /** Stream → version, stale mark and folded state. */
  readonly heads: ReadonlyMap<string, string>;
  readonly policy: string;
}

export async function snapshotStore(target: StoreTarget): Promise<StoreSnapshot> {
  // PGlite's disk reserve is for writers; a snapshot only reads.
  const store = await openStore('dataDir' in target ? { ...target, diskReserveMb: 0 } : target);
  try {
    const facts = new Map<string, string>();
    let factRows = 0;
    for (let page = await store.readAll(0, 5000); page.length > 0; ) {
      factRows += page.length;
      for (const { fact } of page) facts.set(fact.key, factContent(fact));
      page = await store.readAll(page.at(-1)?.position ?? 0, 5000);
    }
    const inbox = new Map<string, string>();
    for await (const entry of store.inbox.iterate({ pageSize: 2000 }))
      inbox.set(entry.hash, `${entry.outcome}${entry.reason === null ? '' : `: ${entry.reason}`}`);
    const heads = new Map<string, string>();
    const streams = await store.streams();
    for (let i = 0; i < streams.length; i += 1000) {
      for (const head of (await store.heads(streams.slice(i, i + 1000))).values())
        heads.set(
          head.stream,
          JSON.stringify({
            version: head.version,
            staleFrom: head.staleFrom,
            state: head.state === null ? null : pairStateToJson(head.state),
          }),
        );
    }
    return {
      facts,
      factRows,
      inbox,
      heads,
      policy: JSON.stringify((await store.setting(POLICY_SETTING)) ?? null),
    };
  } finally {
    await store.close();
  }
}

/** How many entries of `a` are missing from `b` or differ there, and the first few keys. */
export function differences(
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
): { count: number; keys: string[] } {
  const keys: string[] = [];
  let count = 0;
  for (const [key, value] of a) {
    if (b.get(key) === value) continue;
    count++;
    if (keys.length < 5) keys.push(key);
  }
  return { count, keys };
}

/** The log's last position, paging forward from `from` (positions only grow). */
export async function lastPosition(store: SqlStore, from: number): Promise<number> {
  let last = from;
  for (let page = await store.readAll(last, 5000); page.length > 0; page = await store.readAll(last, 5000))
    last = page.at(-1)?.position ?? last;
  return last;
}
