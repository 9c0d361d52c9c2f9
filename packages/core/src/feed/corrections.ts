// Corrections: a late fact (or a business setting that changed the past) rewrites a stretch of a pair's
// history whose changes subscribers were told already. The feed never changes what it told: it tells what
// is no longer true (a `change.retracted` naming the change) and what is newly true.

import { sameJson } from '../views/pairView.js';
import { hashId } from './changeId.js';
import { type ChangeCause, changeId, type PairChange } from './pairChanges.js';

/** The id a change would have if computed afresh: what matches a change told with one computed now. */
function naturalId(c: PairChange): string {
  return changeId(c, c.kind, c.subject, c.at, c.cause);
}

/** The changes of `told` still standing: neither retractions nor retracted. */
export function standing(told: readonly PairChange[]): PairChange[] {
  const retracted = new Set<string>();
  for (const c of told)
    if (c.kind === 'change.retracted' && c.subject !== undefined) retracted.add(c.subject);
  return told.filter((c) => c.kind !== 'change.retracted' && !retracted.has(c.id));
}

/**
 * What brings `told` (every change the outbox holds for the pair from some instant on, retractions included)
 * to `truth` (the changes of the same stretch under the history as it stands now): the retraction of each
 * standing change no longer true, in the order told, then each true change not standing, in truth's order.
 * Changes are the same when their natural id (pair, kind, subject, instant, cause) and their data are. A
 * retraction is at the instant of the change it retracts, with `cause`. A true change whose id the outbox
 * has used (told and retracted since, or told with other data) is told again as `<id>#<n>`, the first such
 * id not used, so every stored id stays unique.
 */
export function corrections(
  told: readonly PairChange[],
  truth: readonly PairChange[],
  cause: ChangeCause,
): PairChange[] {
  const used = new Set(told.map((c) => c.id));
  const wanted = new Map<string, PairChange>();
  for (const c of truth) wanted.set(c.id, c);
  const kept = new Set<string>();
  const out: PairChange[] = [];
  for (const c of standing(told)) {
    const nat = naturalId(c);
    const now = wanted.get(nat);
    if (now !== undefined && !kept.has(nat) && sameJson(now.data, c.data)) {
      kept.add(nat);
      continue;
    }
    out.push({
      id: hashId([`${c.business}/${c.user}`, 'change.retracted', c.id]),
      kind: 'change.retracted',
      at: c.at,
      business: c.business,
      user: c.user,
      subject: c.id,
      cause,
      data: { retracts: c.id, kind: c.kind },
    });
  }
  for (const c of truth) {
    if (kept.has(c.id)) continue;
    let id = c.id;
    for (let n = 1; used.has(id); n++) id = `${c.id}#${n}`;
    used.add(id);
    out.push(id === c.id ? c : { ...c, id });
  }
  return out;
}
