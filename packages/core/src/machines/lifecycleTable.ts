import { type AnyStateMachine, transition } from 'xstate';
import {
  type PermissionEvent,
  type PermissionLifecycle,
  permissionEvents,
  permissionMachine,
} from './permissionMachine.js';
import { type RequestEvent, type RequestLifecycle, requestEvents, requestMachine } from './requestMachine.js';

/** next[state][event] = target state, or undefined when the machine does not accept the event there. */
export type LifecycleTable<S extends string, E extends string> = Readonly<
  Record<S, Readonly<Partial<Record<E, S>>>>
>;

/**
 * Reads a machine into a lookup table once, at load, by asking xstate's pure `transition()` about every
 * (state, event) pair. The machine stays the one definition; the fold pays a property lookup per fact
 * instead of a `transition()` call (about 40k/s here).
 */
export function lifecycleTable<S extends string, E extends string>(
  machine: AnyStateMachine,
  events: readonly E[],
): LifecycleTable<S, E> {
  const table: Record<string, Partial<Record<E, S>>> = {};
  for (const state of Object.keys(machine.root.states)) {
    const row: Partial<Record<E, S>> = {};
    const snapshot = machine.resolveState({ value: state, context: {} });
    for (const event of events) {
      if (!snapshot.can({ type: event })) continue;
      const [next] = transition(machine, snapshot, { type: event });
      row[event] = next.value as S;
    }
    table[state] = row;
  }
  return table as LifecycleTable<S, E>;
}

export const requestTable = lifecycleTable<RequestLifecycle, RequestEvent>(requestMachine, requestEvents);
export const permissionTable = lifecycleTable<PermissionLifecycle, PermissionEvent>(
  permissionMachine,
  permissionEvents,
);

/**
 * Whether time alone can still end a request in this state: the machine has an Expired transition from it.
 * Such a request is live (delivered, answered), and reads as expired once its expiry instant has passed.
 */
export function requestCanExpire(state: RequestLifecycle): boolean {
  return requestTable[state].Expired !== undefined;
}

/** Whether time alone can end a permission in this state (a temporary grant): it has an Expired transition. */
export function permissionCanExpire(state: PermissionLifecycle): boolean {
  return permissionTable[state].Expired !== undefined;
}
