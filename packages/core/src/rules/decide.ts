// The Decider's decide: what the business asks for (a permission request, a call), answered with the facts
// to record or a refusal with Meta's error code, by the rules in the order Meta checks them.
import { checkCommand } from '../boundary/commandCheck.js';
import { sourceProblem } from '../boundary/factCheck.js';
import { type InstantInput, toInstant } from '../boundary/instant.js';
import { InvalidInput, shown } from '../boundary/invalidInput.js';
import type { Attempt, Command, Decision, Refusal } from '../domain/commands.js';
import type { SourceRef } from '../domain/facts.js';
import { pairStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import type { PairState } from '../state/pairState.js';
import { callingRefusal, type RuleEnv } from './businessSettings.js';
import { callLimitRefusal } from './callLimit.js';
import { noPermissionRefusal } from './permission.js';
import { requestRefusal } from './permissionRequests.js';

/**
 * The idempotency key of the fact a command records: the same command (same pair and id) run twice records
 * once; the same id for another pair is another command.
 */
export function commandFactKey(command: Command): string {
  const kind = command.type === 'SendPermissionRequest' ? 'request' : 'call';
  const id = command.type === 'SendPermissionRequest' ? command.requestId : command.callId;
  return `command:${pairStreamId(command.pair)}:${kind}:${id}`;
}

/** Why a permission request sent now would be refused: 138000, then the request rules (138017, 131047, 138009). */
export function sendRequestRefusal(
  state: PairState,
  channel: 'free_form' | 'template',
  at: Instant,
  env: RuleEnv,
): Refusal | undefined {
  const policy = env.policyAt(at);
  return callingRefusal(env, at) ?? requestRefusal(state, channel, at, policy);
}

/** Why a business-initiated call started now would be refused: 138000, 138006, then the call limit (138012). */
export function startCallRefusal(state: PairState, at: Instant, env: RuleEnv): Refusal | undefined {
  const policy = env.policyAt(at);
  return callingRefusal(env, at) ?? noPermissionRefusal(state, at) ?? callLimitRefusal(state, at, policy);
}

/** Why an attempt (a command without its id yet) would be refused at `at`: the rules of `decide`. */
export function attemptRefusal(
  state: PairState,
  attempt: Attempt,
  at: Instant,
  env: RuleEnv,
): Refusal | undefined {
  return attempt.type === 'SendPermissionRequest'
    ? sendRequestRefusal(state, attempt.channel, at, env)
    : startCallRefusal(state, at, env);
}

/**
 * The Decider's `decide`: the facts to record for a command at `at`, or a refusal with Meta's error code and
 * the instant it would be allowed. `state` must be folded from the pair's facts up to `at`. The command, the
 * instant (Unix seconds or a Date) and the source are checked first: an input that cannot be meant is an
 * InvalidInput naming the field, as is a state folded for another pair.
 */
export function decide(
  state: PairState,
  command: Command,
  at: InstantInput,
  env: RuleEnv,
  source?: SourceRef,
): Decision {
  const checked = checkCommand(command);
  const instant = toInstant(at, 'at');
  if (source !== undefined) {
    const problem = sourceProblem(source);
    if (problem !== undefined) throw new InvalidInput(problem);
  }
  if (state?.business !== checked.pair.business || state.user !== checked.pair.user)
    throw new InvalidInput({
      field: 'state',
      reason: `folded for ${state ? pairStreamId(state) : shown(state)}, not for the command's pair ${pairStreamId(checked.pair)}`,
    });
  return decision(state, checked, instant, env, source);
}

/** `decide` for a command and instant the engine has checked already. */
export function decision(
  state: PairState,
  command: Command,
  at: Instant,
  env: RuleEnv,
  source?: SourceRef,
): Decision {
  const refused = attemptRefusal(state, command, at, env);
  if (refused !== undefined) return { ok: false, refusal: refused };
  const src = source ?? { kind: 'command', ref: command.type };
  // A pair of its own: the command's object may carry more than the two ids, and the fact is stored whole.
  const pair = { business: command.pair.business, user: command.pair.user };
  const key = commandFactKey(command);
  switch (command.type) {
    case 'SendPermissionRequest':
      return {
        ok: true,
        facts: [
          {
            type: 'RequestSent',
            pair,
            at,
            key,
            source: src,
            requestId: command.requestId,
            channel: command.channel,
            tentative: false,
          },
        ],
      };
    case 'StartCall':
      return {
        ok: true,
        facts: [{ type: 'CallAttempted', pair, at, key, source: src, callId: command.callId }],
      };
  }
}
