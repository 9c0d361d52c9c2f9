// A history to compare policies on: its facts, and the business actions in it (allowed ones made a fact;
// refused ones did not, but were still asked for). From a scenario run, or from a capture.
import { refusedCall, Translator } from '@callpermit/cloud-api';
import { type Command, type Fact, type Instant, type Pair, pairStreamId } from '@callpermit/core';
import type { BadInput, Simulation } from './simulator.js';

export interface HistoryAction {
  readonly at: Instant;
  readonly pair: Pair;
  readonly command: Command;
  /** The key of the fact the action made, when it was allowed; absent for a refused attempt. */
  readonly factKey?: string;
  /** Where it is in the input: a scenario step, a capture line. */
  readonly source: string;
}

export interface History {
  readonly facts: readonly Fact[];
  readonly actions: readonly HistoryAction[];
  readonly badInput: readonly BadInput[];
}

/** The business actions a logged Graph call made facts of: requests and call starts Meta accepted. */
function loggedAction(f: Fact): HistoryAction | undefined {
  if (f.source.kind !== 'api_call') return undefined;
  if (f.type === 'RequestSent' && f.channel !== 'unknown')
    return {
      at: f.at,
      pair: f.pair,
      command: { type: 'SendPermissionRequest', pair: f.pair, requestId: f.requestId, channel: f.channel },
      factKey: f.key,
      source: f.source.ref,
    };
  if (f.type === 'CallAttempted')
    return {
      at: f.at,
      pair: f.pair,
      command: { type: 'StartCall', pair: f.pair, callId: f.callId },
      factKey: f.key,
      source: f.source.ref,
    };
  return undefined;
}

/**
 * A scenario's history: its facts, the actions its capture logged, and every business step, allowed or refused.
 * An allowed step made the fact its Graph exchange translates to (the guard records it): that fact is the step's,
 * not a second, logged action.
 */
export function historyOfSimulation(sim: Simulation): History {
  const keyOf = new Map<string, string>();
  for (const f of sim.facts) {
    if (f.source.kind !== 'api_call') continue;
    if (f.type === 'RequestSent') keyOf.set(`${pairStreamId(f.pair)}:${f.requestId}`, f.key);
    if (f.type === 'CallAttempted') keyOf.set(`${pairStreamId(f.pair)}:${f.callId}`, f.key);
  }
  const stepKeys = new Set<string>();
  const actions = sim.actions.map((a): HistoryAction => {
    const id = a.command.type === 'SendPermissionRequest' ? a.command.requestId : a.command.callId;
    const factKey = a.refusal ? undefined : keyOf.get(`${pairStreamId(a.pair)}:${id}`);
    const source = `${sim.scenario.file} step ${a.step + 1} (${a.name})`;
    if (factKey !== undefined) stepKeys.add(factKey);
    return factKey === undefined
      ? { at: a.at, pair: a.pair, command: a.command, source }
      : { at: a.at, pair: a.pair, command: a.command, factKey, source };
  });
  const logged = sim.facts
    .filter((f) => !stepKeys.has(f.key))
    .map(loggedAction)
    .filter((x): x is HistoryAction => x !== undefined);
  return { facts: sim.facts, actions: [...logged, ...actions], badInput: sim.badInput };
}

/**
 * A capture's history: the business actions are the Graph calls it logged — permission requests and call
 * starts Meta accepted (their facts) and those Meta refused (no fact, but asked for).
 */
export async function historyOfCapture(
  name: string,
  lines: AsyncIterable<{ lineNo: number; raw: string }> | Iterable<{ lineNo: number; raw: string }>,
): Promise<History> {
  const translator = new Translator();
  const facts: Fact[] = [];
  const actions: HistoryAction[] = [];
  const badInput: BadInput[] = [];
  for await (const { lineNo, raw } of lines) {
    const where = `${name}:${lineNo}`;
    const outcome = translator.line(raw, where);
    if (outcome.kind === 'rejected') {
      badInput.push({ where, reason: `${outcome.path ? `${outcome.path}: ` : ''}${outcome.reason}` });
      continue;
    }
    for (const f of outcome.facts) {
      facts.push(f);
      const action = loggedAction(f);
      if (action) actions.push(action);
    }
    if (outcome.facts.length === 0 && raw.includes('api_call')) {
      const refused = refusedCall(JSON.parse(raw), translator.templates);
      if (refused) {
        const id = `refused:${where}`;
        const command: Command =
          refused.action === 'start_call'
            ? { type: 'StartCall', pair: refused.pair, callId: id }
            : {
                type: 'SendPermissionRequest',
                pair: refused.pair,
                requestId: id,
                channel: refused.channel ?? 'template',
              };
        actions.push({ at: refused.at, pair: refused.pair, command, source: where });
      }
    }
  }
  return { facts, actions, badInput };
}
