import type { PairFact } from './facts.js';
import type { Pair } from './pair.js';
import type { Instant } from './time.js';

/** What the business wants to do. `decide` answers with the facts to record or a refusal. */
export interface SendPermissionRequest {
  readonly type: 'SendPermissionRequest';
  readonly pair: Pair;
  /** The request's message id when known, else an id of the caller's choosing (it keys the fact). */
  readonly requestId: string;
  readonly channel: 'free_form' | 'template';
}
export interface StartCall {
  readonly type: 'StartCall';
  readonly pair: Pair;
  readonly callId: string;
}
export type Command = SendPermissionRequest | StartCall;

/**
 * What the business attempts through the guard (`Engine.attempt`): a permission request or a call, before Meta
 * has given it an id. The decision is the command's; the id comes with Meta's answer.
 */
export type Attempt = Omit<SendPermissionRequest, 'requestId'> | Omit<StartCall, 'callId'>;

/** Meta's error codes for what a refusal stands in for (the type is the union of their values). */
export const ErrorCode = {
  callingDisabled: 138000,
  noPermission: 138006,
  requestLimit: 138009,
  connectedCallLimit: 138012,
  permanentPermissionExists: 138017,
  outsideCustomerServiceWindow: 131047,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface Refusal {
  readonly code: ErrorCode;
  readonly title: string;
  /** The first instant the same command would be allowed by time alone; absent when only the user can change it. */
  readonly retryAt?: Instant;
}

/** A refusal with Meta's code, and the instant time alone would allow the command (absent: none would). */
export function refuse(code: ErrorCode, title: string, retryAt?: Instant): Refusal {
  return retryAt === undefined ? { code, title } : { code, title, retryAt };
}

/** What `decide` answers: the facts to record, or why not. */
export type Decision =
  | { readonly ok: true; readonly facts: readonly PairFact[] }
  | { readonly ok: false; readonly refusal: Refusal };
