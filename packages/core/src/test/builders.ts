// Fact and command builders with sensible defaults, and a clock, for tests in every package.
// They live beside core's tests because core cannot depend on @callpermit/testing (that package depends on
// core); @callpermit/testing re-exports them.
import type { SendPermissionRequest, StartCall } from '../domain/commands.js';
import type {
  CallAttempted,
  CallbackSettingChanged,
  CallConnected,
  CallingSettingChanged,
  CallRejected,
  CallUnanswered,
  Fact,
  PermissionDeclined,
  PermissionGranted,
  PermissionObserved,
  PermissionRevoked,
  RequestDelivered,
  RequestFailed,
  RequestRead,
  RequestSent,
  SourceRef,
  TemplateKnown,
  UserCalled,
  UserMessaged,
} from '../domain/facts.js';
import type { Pair } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';

export const SECOND = 1;
export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86400;
export const WEEK = 7 * DAY;

/** 2025-12-31T08:00:00Z, the instant of Meta's webhook samples. */
export const T0: Instant = 1_767_168_000;

/** The pair of Meta's samples: business phone number id and the user's wa_id. */
export const testPair: Pair = Object.freeze({ business: '109876543210987', user: '447700900123' });

export const testSource: SourceRef = Object.freeze({ kind: 'test', ref: 'builder' });

/** A clock for scripts: `now` moves only when told to. */
export interface Clock {
  readonly now: Instant;
  /** Moves the clock forward and returns the new instant. */
  advance(seconds: number): Instant;
  /** Moves the clock to an instant (never backwards) and returns it. */
  set(at: Instant): Instant;
  /** The instant `seconds` from now, without moving the clock. */
  in(seconds: number): Instant;
}

export function clock(start: Instant = T0): Clock {
  let now = start;
  return {
    get now() {
      return now;
    },
    advance(seconds) {
      if (seconds < 0) throw new Error(`clock.advance: ${seconds} s would move the clock backwards`);
      now += seconds;
      return now;
    },
    set(at) {
      if (at < now) throw new Error(`clock.set: ${at} is before now (${now})`);
      now = at;
      return now;
    },
    in(seconds) {
      return now + seconds;
    },
  };
}

type Content<F extends Fact> = Omit<F, 'type' | 'key' | 'source'>;
type Options<F extends Fact, Required extends keyof Content<F> = never> = Partial<Content<F>> &
  Pick<Content<F>, Required> & { readonly key?: string; readonly source?: SourceRef };

/**
 * The default idempotency key names the whole content, so two facts built alike are the same fact and
 * two facts that differ in anything are different facts.
 */
function build<F extends Fact>(
  type: F['type'],
  content: object,
  options: { key?: string; source?: SourceRef },
) {
  const { key, source, ...rest } = options as { key?: string; source?: SourceRef };
  const body = { ...content, ...rest } as Content<F>;
  return {
    type,
    ...body,
    key: key ?? `${type}:${JSON.stringify(body)}`,
    source: source ?? testSource,
  } as unknown as F;
}

function defaultVia(o: Partial<PermissionGranted>): PermissionGranted['via'] {
  if (o.requestId !== undefined) return 'request';
  return o.callId === undefined ? 'profile' : 'callback';
}

/** One builder per fact type: `facts.requestSent({ at, requestId })`. Unset fields take test defaults. */
export const facts = {
  requestSent: (o: Options<RequestSent> = {}): RequestSent =>
    build<RequestSent>(
      'RequestSent',
      { pair: testPair, at: T0, requestId: 'wamid.REQUEST1', channel: 'template', tentative: false },
      o,
    ),
  requestDelivered: (o: Options<RequestDelivered> = {}): RequestDelivered =>
    build<RequestDelivered>('RequestDelivered', { pair: testPair, at: T0, requestId: 'wamid.REQUEST1' }, o),
  requestRead: (o: Options<RequestRead> = {}): RequestRead =>
    build<RequestRead>('RequestRead', { pair: testPair, at: T0, requestId: 'wamid.REQUEST1' }, o),
  requestFailed: (o: Options<RequestFailed> = {}): RequestFailed =>
    build<RequestFailed>(
      'RequestFailed',
      { pair: testPair, at: T0, requestId: 'wamid.REQUEST1', errorCode: 131026 },
      o,
    ),
  /** Temporary, from the business profile, unless told otherwise; no `expiresAt` unless given (policy decides). */
  permissionGranted: (o: Options<PermissionGranted> = {}): PermissionGranted =>
    build<PermissionGranted>(
      'PermissionGranted',
      { pair: testPair, at: T0, permanent: false, via: defaultVia(o) },
      o,
    ),
  permissionDeclined: (o: Options<PermissionDeclined> = {}): PermissionDeclined =>
    build<PermissionDeclined>(
      'PermissionDeclined',
      { pair: testPair, at: T0, requestId: 'wamid.REQUEST1' },
      o,
    ),
  permissionRevoked: (o: Options<PermissionRevoked> = {}): PermissionRevoked =>
    build<PermissionRevoked>('PermissionRevoked', { pair: testPair, at: T0, by: 'user' }, o),
  callAttempted: (o: Options<CallAttempted> = {}): CallAttempted =>
    build<CallAttempted>('CallAttempted', { pair: testPair, at: T0, callId: 'wacid.CALL1' }, o),
  callConnected: (o: Options<CallConnected> = {}): CallConnected =>
    build<CallConnected>(
      'CallConnected',
      {
        pair: testPair,
        at: T0,
        callId: 'wacid.CALL1',
        direction: 'business_initiated',
        evidence: 'start_time',
      },
      o,
    ),
  callUnanswered: (o: Options<CallUnanswered> = {}): CallUnanswered =>
    build<CallUnanswered>('CallUnanswered', { pair: testPair, at: T0, callId: 'wacid.CALL1' }, o),
  callRejected: (o: Options<CallRejected> = {}): CallRejected =>
    build<CallRejected>('CallRejected', { pair: testPair, at: T0, callId: 'wacid.CALL1' }, o),
  userMessaged: (o: Options<UserMessaged> = {}): UserMessaged =>
    build<UserMessaged>('UserMessaged', { pair: testPair, at: T0, messageId: `wamid.IN${o.at ?? T0}` }, o),
  userCalled: (o: Options<UserCalled> = {}): UserCalled =>
    build<UserCalled>('UserCalled', { pair: testPair, at: T0, callId: `wacid.IN${o.at ?? T0}` }, o),
  permissionObserved: (o: Options<PermissionObserved, 'status'>): PermissionObserved =>
    build<PermissionObserved>('PermissionObserved', { pair: testPair, at: T0 }, o),
  callbackSettingChanged: (o: Options<CallbackSettingChanged> = {}): CallbackSettingChanged =>
    build<CallbackSettingChanged>(
      'CallbackSettingChanged',
      { business: testPair.business, at: T0, enabled: true },
      o,
    ),
  callingSettingChanged: (o: Options<CallingSettingChanged> = {}): CallingSettingChanged =>
    build<CallingSettingChanged>(
      'CallingSettingChanged',
      { business: testPair.business, at: T0, enabled: true },
      o,
    ),
  templateKnown: (o: Options<TemplateKnown> = {}): TemplateKnown =>
    build<TemplateKnown>(
      'TemplateKnown',
      { business: testPair.business, at: T0, name: 'call_permission_request' },
      o,
    ),
};

/** Command builders: `commands.sendRequest({ requestId })`, `commands.startCall({ callId })`. */
export const commands = {
  sendRequest: (o: Partial<Omit<SendPermissionRequest, 'type'>> = {}): SendPermissionRequest => ({
    type: 'SendPermissionRequest',
    pair: o.pair ?? testPair,
    requestId: o.requestId ?? 'wamid.REQUEST1',
    channel: o.channel ?? 'template',
  }),
  startCall: (o: Partial<Omit<StartCall, 'type'>> = {}): StartCall => ({
    type: 'StartCall',
    pair: o.pair ?? testPair,
    callId: o.callId ?? 'wacid.CALL1',
  }),
};
