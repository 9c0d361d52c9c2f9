import type { Attempt, Command } from '../domain/commands.js';
import { MAX_ID_LENGTH, pairProblem, textProblem } from './identity.js';
import { type InputProblem, InvalidInput, shown } from './invalidInput.js';

const COMMAND_TYPES: readonly string[] = ['SendPermissionRequest', 'StartCall'];
const CHANNELS: readonly string[] = ['free_form', 'template'];

/**
 * Why a value is not a command core can decide, or undefined: a known `type`, a valid pair, and the command's
 * own fields (the id that keys its fact, the channel). Other properties are ignored: nothing but these
 * fields reaches the facts a command records.
 */
export function commandProblem(value: unknown): InputProblem | undefined {
  return actionProblem(value, true);
}

/**
 * The checks of `commandProblem` for an attempt: a command whose id Meta has not given yet (the guard's
 * `Engine.attempt`), so no `requestId` or `callId`.
 */
export function attemptProblem(value: unknown): InputProblem | undefined {
  return actionProblem(value, false);
}

/** The value as an Attempt, or an InvalidInput naming the field and the reason. */
export function checkAttempt(value: unknown): Attempt {
  const problem = attemptProblem(value);
  if (problem !== undefined) throw new InvalidInput(problem);
  return value as Attempt;
}

function actionProblem(value: unknown, withId: boolean): InputProblem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: '', reason: `${shown(value)} is not a command ({ type, pair, … })` };
  const command = value as Record<string, unknown>;
  if (typeof command.type !== 'string' || !COMMAND_TYPES.includes(command.type))
    return {
      field: 'type',
      reason: `${shown(command.type)} is not a command type: ${COMMAND_TYPES.join(' or ')}`,
    };
  const pair = pairProblem(command.pair);
  if (pair !== undefined) return pair;
  if (command.type === 'StartCall') return withId ? idProblem(command, 'callId') : undefined;
  const id = withId ? idProblem(command, 'requestId') : undefined;
  if (id !== undefined) return id;
  if (typeof command.channel !== 'string' || !CHANNELS.includes(command.channel))
    return {
      field: 'channel',
      reason: `${shown(command.channel)} is not a channel for a permission request: free_form (in the customer-service window) or template`,
    };
  return undefined;
}

function idProblem(command: Record<string, unknown>, field: string): InputProblem | undefined {
  const reason = textProblem(command[field], MAX_ID_LENGTH);
  return reason === undefined ? undefined : { field, reason };
}

/** The value as a Command, or an InvalidInput naming the field and the reason. */
export function checkCommand(value: unknown): Command {
  const problem = commandProblem(value);
  if (problem !== undefined) throw new InvalidInput(problem);
  return value as Command;
}
