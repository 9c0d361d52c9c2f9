import { checkCommand } from './commandCheck.js';
import type { Attempt, Command, Refusal } from './commands.js';
import { ErrorCode } from './commands.js';
import { sourceProblem } from './factCheck.js';
import type { PairFact, SourceRef } from './facts.js';
import { type InstantInput, toInstant } from './instant.js';
import { InvalidInput, shown } from './invalidInput.js';
import { pairStreamId } from './pair.js';
import {
  callingDisabledAt,
  callLimitUse,
  customerServiceWindowOpen,
  exhausted,
  heldCallStops,
  permissionAt,
  type RuleEnv,
  requestLimitUse,
  retryAfterLimits,
} from './rules.js';
import type { PairState } from './state.js';
import type { Instant } from './time.js';

export type Decision =
  | { readonly ok: true; readonly facts: readonly PairFact[] }
  | { readonly ok: false; readonly refusal: Refusal };

/**
 * The idempotency key of the fact a command records: the same command (same pair and id) run twice records
 * once; the same id for another pair is another command.
 */
export function commandFactKey(command: Command): string {
  const kind = command.type === 'SendPermissionRequest' ? 'request' : 'call';
  const id = command.type === 'SendPermissionRequest' ? command.requestId : command.callId;
  return `command:${pairStreamId(command.pair)}:${kind}:${id}`;
}

function refuse(code: ErrorCode, title: string, retryAt?: Instant): Decision {
  return { ok: false, refusal: retryAt === undefined ? { code, title } : { code, title, retryAt } };
}

function callingDisabled(): Decision {
  return refuse(ErrorCode.callingDisabled, 'Calling is not enabled on this business phone number');
}

/** Why a permission request sent now would be refused, if it would. */
export function requestRefusal(
  state: PairState,
  channel: 'free_form' | 'template',
  at: Instant,
  env: RuleEnv,
): Decision | undefined {
  const policy = env.policyAt(at);
  if (callingDisabledAt(env, at)) return callingDisabled();
  if (permissionAt(state, at).status === 'permanent') {
    return refuse(ErrorCode.permanentPermissionExists, 'A permanent call permission already exists');
  }
  if (channel === 'free_form' && !customerServiceWindowOpen(state, policy, at)) {
    return refuse(
      ErrorCode.outsideCustomerServiceWindow,
      'Free-form messages need an open customer-service window; send a template',
    );
  }
  const uses = requestLimitUse(state, policy, at);
  if (exhausted(uses)) {
    return refuse(ErrorCode.requestLimit, 'Call permission request limit reached', retryAfterLimits(uses));
  }
  return undefined;
}

/** Why a business-initiated call started now would be refused, if it would. */
export function callRefusal(state: PairState, at: Instant, env: RuleEnv): Decision | undefined {
  const policy = env.policyAt(at);
  if (callingDisabledAt(env, at)) return callingDisabled();
  if (permissionAt(state, at).status === 'no_permission') {
    return refuse(ErrorCode.noPermission, 'No approved call permission from the recipient');
  }
  const uses = callLimitUse(state, policy, at, heldCallStops(state, policy, at));
  if (exhausted(uses)) {
    return refuse(
      ErrorCode.connectedCallLimit,
      'Business-initiated connected calls limit reached',
      retryAfterLimits(uses),
    );
  }
  return undefined;
}

/** Why an attempt (a command without its id yet) would be refused at `at`: the rules of `decide`. */
export function attemptRefusal(
  state: PairState,
  attempt: Attempt,
  at: Instant,
  env: RuleEnv,
): Refusal | undefined {
  const decision =
    attempt.type === 'SendPermissionRequest'
      ? requestRefusal(state, attempt.channel, at, env)
      : callRefusal(state, at, env);
  return decision?.ok === false ? decision.refusal : undefined;
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
  const src = source ?? { kind: 'command', ref: command.type };
  // A pair of its own: the command's object may carry more than the two ids, and the fact is stored whole.
  const pair = { business: command.pair.business, user: command.pair.user };
  switch (command.type) {
    case 'SendPermissionRequest':
      return (
        requestRefusal(state, command.channel, at, env) ?? {
          ok: true,
          facts: [
            {
              type: 'RequestSent',
              pair,
              at,
              key: commandFactKey(command),
              source: src,
              requestId: command.requestId,
              channel: command.channel,
              tentative: false,
            },
          ],
        }
      );
    case 'StartCall':
      return (
        callRefusal(state, at, env) ?? {
          ok: true,
          facts: [
            {
              type: 'CallAttempted',
              pair,
              at,
              key: commandFactKey(command),
              source: src,
              callId: command.callId,
            },
          ],
        }
      );
  }
}
