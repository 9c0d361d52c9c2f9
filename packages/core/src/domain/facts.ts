import type { Pair } from './pair.js';
import type { Instant } from './time.js';

/** Where a fact came from: the capture line, webhook id or command that produced it. */
export interface SourceRef {
  readonly kind: 'webhook' | 'api_call' | 'command' | 'observation' | 'test';
  readonly ref: string;
}

interface FactBase<T extends string> {
  readonly type: T;
  /** When it happened (Unix seconds). Facts apply at their own instant, whatever the arrival order. */
  readonly at: Instant;
  /** Idempotency key: the same key twice is the same fact and applies once. */
  readonly key: string;
  readonly source: SourceRef;
}

interface PairFactBase<T extends string> extends FactBase<T> {
  readonly pair: Pair;
}

export type RequestChannel = 'free_form' | 'template' | 'unknown';

/**
 * A permission request message left the business. `tentative` marks a message seen only through its
 * `sent` status webhook: it counts as a request once another fact names it one (a reply to it, or a
 * non-tentative RequestSent), which is how a history made of webhooks alone reveals its requests.
 */
export interface RequestSent extends PairFactBase<'RequestSent'> {
  readonly requestId: string;
  readonly channel: RequestChannel;
  readonly tentative: boolean;
}
export interface RequestDelivered extends PairFactBase<'RequestDelivered'> {
  readonly requestId: string;
}
/** `read` implies delivered: Meta may send only `read` when both happen at once. */
export interface RequestRead extends PairFactBase<'RequestRead'> {
  readonly requestId: string;
}
export interface RequestFailed extends PairFactBase<'RequestFailed'> {
  readonly requestId: string;
  readonly errorCode?: number;
}

export type GrantVia = 'request' | 'profile' | 'callback';

/** The user allowed calls: from a request message, from the business profile, or automatically by calling. */
export interface PermissionGranted extends PairFactBase<'PermissionGranted'> {
  readonly permanent: boolean;
  /** Meta's `expiration_timestamp`; absent on permanent grants (then policy decides nothing) or when lost. */
  readonly expiresAt?: Instant;
  readonly via: GrantVia;
  readonly requestId?: string;
  readonly callId?: string;
}
/** The user declined a request message. It can still accept from the same message until the request expires. */
export interface PermissionDeclined extends PairFactBase<'PermissionDeclined'> {
  readonly requestId: string;
}
/** The permission ended: by the user (no request context), or automatically after the unanswered streak. */
export interface PermissionRevoked extends PairFactBase<'PermissionRevoked'> {
  readonly by: 'user' | 'automatic';
}

export type CallDirection = 'business_initiated' | 'user_initiated';

/** A call the user picked up. `at` is its start_time, else the ACCEPTED status time (`evidence`). */
export interface CallConnected extends PairFactBase<'CallConnected'> {
  readonly callId: string;
  readonly direction: CallDirection;
  readonly evidence: 'start_time' | 'accepted';
}
/** A business-initiated call that ended without being picked up. */
export interface CallUnanswered extends PairFactBase<'CallUnanswered'> {
  readonly callId: string;
}
/** A business-initiated call the user declined. */
export interface CallRejected extends PairFactBase<'CallRejected'> {
  readonly callId: string;
}
/** callpermit allowed a business-initiated call (StartCall): it holds a place in the limit until its outcome. */
export interface CallAttempted extends PairFactBase<'CallAttempted'> {
  readonly callId: string;
}
/** Any inbound user message: opens (or extends) the customer-service window. */
export interface UserMessaged extends PairFactBase<'UserMessaged'> {
  readonly messageId: string;
}
/** The user called the business: opens the window and, with callback on, grants temporary permission. */
export interface UserCalled extends PairFactBase<'UserCalled'> {
  readonly callId: string;
}

/**
 * A pair's permission as Meta reports it (`permission.status` of `GET call_permissions`): what a
 * PermissionObserved fact carries and what `callPermissions` answers. Not the lifecycle callpermit folds
 * (`PermissionLifecycle`: none, temporary, permanent, revoked, expired), which remembers how a permission
 * ended; `permissionAt` reads the lifecycle at an instant as this status.
 */
export type PermissionStatus = 'no_permission' | 'temporary' | 'permanent';

/** Meta's own view (a `GET call_permissions` response) at `at`. Meta wins; differences are kept. */
export interface PermissionObserved extends PairFactBase<'PermissionObserved'> {
  readonly status: PermissionStatus;
  readonly expiresAt?: Instant;
  /** `current_usage` Meta reported, per action and window (seconds), when it reported limits. */
  readonly usage?: readonly ObservedUsage[];
}
export interface ObservedUsage {
  readonly action: 'send_call_permission_request' | 'start_call';
  readonly periodSeconds: number;
  readonly maxAllowed: number;
  readonly currentUsage: number;
}

interface BusinessFactBase<T extends string> extends FactBase<T> {
  readonly business: string;
}
export interface CallbackSettingChanged extends BusinessFactBase<'CallbackSettingChanged'> {
  readonly enabled: boolean;
}
/**
 * Calling was turned on or off on the business number (settings `calling.status`). While it is off, calls and
 * permission requests are refused (138000); before any is known, they are allowed.
 */
export interface CallingSettingChanged extends BusinessFactBase<'CallingSettingChanged'> {
  readonly enabled: boolean;
}
/** A message template known to carry a call_permission_request component. */
export interface TemplateKnown extends BusinessFactBase<'TemplateKnown'> {
  readonly name: string;
  readonly language?: string;
}

export type PairFact =
  | RequestSent
  | RequestDelivered
  | RequestRead
  | RequestFailed
  | PermissionGranted
  | PermissionDeclined
  | PermissionRevoked
  | CallConnected
  | CallUnanswered
  | CallRejected
  | CallAttempted
  | UserMessaged
  | UserCalled
  | PermissionObserved;
export type BusinessFact = CallbackSettingChanged | CallingSettingChanged | TemplateKnown;
export type Fact = PairFact | BusinessFact;
export type FactType = Fact['type'];

export function isBusinessFact(fact: Fact): fact is BusinessFact {
  return (
    fact.type === 'CallbackSettingChanged' ||
    fact.type === 'CallingSettingChanged' ||
    fact.type === 'TemplateKnown'
  );
}
