// Runs a scenario: its steps become the facts real input becomes. What the user and Meta do is built as
// Meta's wire bodies and goes through cloud-api's Translator; what the business does is decided by the guard
// (`Engine.attempt`, as `serve` decides it), so a refusal is the real decision, and an allowed one is the
// Graph exchange Meta would answer, translated. The state after each step is read back through the Engine's
// own queries. A scenario is a history, not a second engine.
import {
  type BusinessNumber,
  callbackSettingWebhook,
  callConnectWebhook,
  callPermissionsCall,
  callStatusWebhook,
  callTerminateWebhook,
  type LineOutcome,
  messageStatusWebhook,
  permissionReplyWebhook,
  permissionRequestCall,
  startCallCall,
  Translator,
  userMessageWebhook,
  type WebhookBody,
} from '@callpermit/cloud-api';
import {
  type CallPermissionsView,
  type Command,
  Engine,
  type Fact,
  type Instant,
  MemoryFactStore,
  type Notice,
  type Pair,
  type PairChange,
  type PolicyBook,
  pairStreamId,
  type Refusal,
  type RequestLifecycle,
} from '@callpermit/core';
import { type Check, checkExpectations } from './checks.js';
import { callId, repeatedName, replyId, requestId, userCallId, userMessageId } from './names.js';
import { fieldPath, type Scenario, ScenarioError } from './scenario/read.js';
import type { Step } from './scenario/schema.js';
import { parseDuration, resolveTime } from './scenario/time.js';

export const DEFAULT_BUSINESS = '109876543210987';
export const DEFAULT_USER = '447700900123';
/** A Monday, so a week of steps reads naturally. */
export const DEFAULT_START = 1_767_603_600; // 2026-01-05T09:00:00Z

/** A business action of the history and the Engine's decision on it. */
export interface BusinessAction {
  readonly step: number;
  readonly at: Instant;
  readonly pair: Pair;
  readonly command: Command;
  /** The scenario's name for the request or call. */
  readonly name: string;
  readonly refusal?: Refusal;
}

/** What the engine answered about the pair after a step. */
export interface Snapshot {
  readonly at: Instant;
  readonly view: CallPermissionsView;
  /** Each named request's lifecycle (only those sent). */
  readonly requests: Readonly<Record<string, RequestLifecycle>>;
  /** Notices raised during the step (reconsider prompt, automatic revoke), oldest first. */
  readonly notices: readonly Notice[];
  readonly unansweredStreak: number;
  /**
   * What the change feed told of the pair during the step (docs/changes.md): the outbox rows written after the
   * previous step's end, the changes time alone made up to this step's end materialised. Absent with the feed off.
   */
  readonly changes?: readonly PairChange[];
}

export interface StepOutcome {
  readonly index: number;
  readonly line: number;
  readonly step: Step;
  readonly label: string;
  readonly at: Instant;
  readonly end: Instant;
  readonly actions: readonly BusinessAction[];
  readonly snapshot: Snapshot;
  readonly checks: readonly Check[];
}

/** A capture line the translator refused, or a fact the engine refused: reported, never dropped silently. */
export interface BadInput {
  readonly where: string;
  readonly reason: string;
}

export interface Simulation {
  readonly scenario: Scenario;
  readonly pair: Pair;
  readonly start: Instant;
  readonly steps: readonly StepOutcome[];
  /** Every fact of the history (the capture's and the steps'), in the order ingested. */
  readonly facts: readonly Fact[];
  readonly actions: readonly BusinessAction[];
  readonly badInput: readonly BadInput[];
  /** The engine holding the whole history, for queries at any instant (the timeline). */
  readonly engine: Engine;
  /** The policy it ran under. */
  readonly policy: PolicyBook;
  readonly passed: boolean;
}

/** A capture to replay before the steps: its lines, named as the report names them. */
export interface CaptureInput {
  readonly name: string;
  readonly lines: AsyncIterable<{ lineNo: number; raw: string }> | Iterable<{ lineNo: number; raw: string }>;
}

export interface SimulateOptions {
  readonly policy: PolicyBook;
  readonly capture?: CaptureInput;
  /**
   * Whether the engine keeps the change feed, so each step reports (and may expect) the changes it told
   * (default true; `explore`, which runs thousands of scenarios and expects none, turns it off).
   */
  readonly changeFeed?: boolean;
}

const DEFAULT_GAP = 60;
const DEFAULT_CALL = 120;

/** Runs the scenario and checks its expectations. Throws ScenarioError (with the line) for a step that cannot be run. */
export async function simulate(scenario: Scenario, options: SimulateOptions): Promise<Simulation> {
  const run = new Run(scenario, options.policy, options.changeFeed ?? true);
  if (options.capture) await run.replayCapture(options.capture);
  await run.begin();
  for (const [index, step] of scenario.data.steps.entries()) await run.step(index, step);
  return run.result();
}

/**
 * The template a scenario's template requests are sent with: known to carry the permission component, as a
 * business's own template is once created (the translator only counts sends of such templates).
 */
const SIMULATED_TEMPLATE = 'callpermit_simulated_permission_request';

class Run {
  readonly engine: Engine;
  readonly translator = new Translator({ templates: [SIMULATED_TEMPLATE] });
  readonly pair: Pair;
  readonly business: BusinessNumber;
  readonly facts: Fact[] = [];
  readonly actions: BusinessAction[] = [];
  readonly badInput: BadInput[] = [];
  readonly outcomes: StepOutcome[] = [];
  /** Named requests the business sent (allowed), and those refused. */
  readonly sent = new Set<string>();
  readonly refused = new Set<string>();
  readonly callNames = new Set<string>();
  start: Instant = DEFAULT_START;
  /** The end of the previous step: relative times count from here, and time never goes back. */
  now: Instant = DEFAULT_START;
  /** When the current step's latest repetition started. */
  lastStart: Instant = DEFAULT_START;
  counter = 0;
  seenNotices = new Set<string>();
  /** The feed's sequence number of the last change reported. */
  changeSeq = 0;

  constructor(
    readonly scenario: Scenario,
    readonly policy: PolicyBook,
    changeFeed: boolean,
  ) {
    this.engine = new Engine(new MemoryFactStore(), { policy, changeFeed });
    const data = scenario.data;
    this.pair = {
      business: String(data.business ?? DEFAULT_BUSINESS),
      user: String(data.user ?? DEFAULT_USER),
    };
    this.business = { phoneNumberId: this.pair.business };
  }

  fail(path: readonly PropertyKey[], reason: string): never {
    const at = this.scenario.position(path);
    throw new ScenarioError(this.scenario.file, at.line, at.column, fieldPath(path), reason);
  }

  async replayCapture(capture: CaptureInput): Promise<void> {
    const facts: Fact[] = [];
    for await (const { lineNo, raw } of capture.lines) {
      const where = `${capture.name}:${lineNo}`;
      const outcome = this.translator.line(raw, where);
      if (outcome.kind === 'rejected')
        this.badInput.push({ where, reason: `${outcome.path ? `${outcome.path}: ` : ''}${outcome.reason}` });
      else facts.push(...outcome.facts);
    }
    await this.ingest(facts);
    this.start = facts.reduce((latest, f) => Math.max(latest, f.at), Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(this.start)) this.start = DEFAULT_START;
  }

  async begin(): Promise<void> {
    const given = this.scenario.data.start;
    if (given !== undefined) {
      const at = resolveTime(given, this.start);
      if (typeof at === 'string') this.fail(['start'], at);
      if (this.facts.length > 0 && at < this.start)
        this.fail(['start'], `before the capture's last fact (${this.start}): steps continue after it`);
      this.start = at;
    }
    this.now = this.start;
    const state = await this.engine.state(this.pair, this.start);
    for (const n of state.notices) this.seenNotices.add(noticeKey(n));
    // What the feed told of a capture's history before the steps is not any step's.
    await this.toldUntil(this.start);
  }

  /**
   * The changes of the pair the feed told since the last call, once those time alone made up to `now` are
   * materialised (as `serve`'s timer does when `now` passes), in sequence order.
   */
  async toldUntil(now: Instant): Promise<PairChange[]> {
    const out: PairChange[] = [];
    if (!this.engine.changeFeed) return out;
    await this.engine.materialise(now);
    const stream = pairStreamId(this.pair);
    for (;;) {
      const page = await this.engine.store.readChanges(this.changeSeq, 1000, [this.pair.business]);
      if (page.length === 0) return out;
      for (const { seq, ...change } of page) {
        this.changeSeq = seq;
        if (pairStreamId(change) === stream) out.push(change);
      }
    }
  }

  async ingest(facts: readonly Fact[]): Promise<void> {
    if (facts.length === 0) return;
    const result = await this.engine.ingest(facts);
    for (const r of result.rejected) this.badInput.push({ where: r.fact.source.ref, reason: r.reason });
    this.facts.push(...facts);
  }

  /** Meta's webhook body, through the Translator, into the engine. */
  async webhook(body: WebhookBody, ref: string): Promise<void> {
    await this.translated(this.translator.webhook(body, undefined, ref), ref);
  }

  async translated(outcome: LineOutcome, ref: string): Promise<void> {
    // A built body the translator refuses is a bug in the builders, not in the scenario.
    if (outcome.kind === 'rejected')
      throw new Error(`${ref}: built body refused: ${outcome.path}: ${outcome.reason}`);
    await this.ingest(outcome.facts);
  }

  /** When step `index` (repetition `n`) happens. */
  instantOf(index: number, step: Step, n: number): Instant {
    if (n > 1) {
      // Repetitions start `every` apart, and never before the previous one ended.
      const every = step.every === undefined ? DEFAULT_GAP : (parseDuration(step.every) as number);
      return Math.max(this.lastStart + every, this.now);
    }
    if (step.at !== undefined && step.after !== undefined)
      this.fail(['steps', index], 'give at or after, not both');
    let at: Instant;
    if (step.at !== undefined) {
      const resolved = resolveTime(step.at, this.start);
      if (typeof resolved === 'string') this.fail(['steps', index, 'at'], resolved);
      at = resolved;
    } else at = this.now + (step.after === undefined ? DEFAULT_GAP : (parseDuration(step.after) as number));
    if (at < this.now)
      this.fail(
        ['steps', index, 'at'],
        `${at} is before the previous step ended (${this.now}): time only moves forward`,
      );
    return at;
  }

  async step(index: number, step: Step): Promise<void> {
    const times = step.repeat ?? 1;
    const actions: BusinessAction[] = [];
    let first: Instant | undefined;
    for (let n = 1; n <= times; n++) {
      const at = this.instantOf(index, step, n);
      this.lastStart = at;
      first ??= at;
      const end = await this.perform(index, step, n, at, actions);
      this.now = Math.max(this.now, at, end);
    }
    const snapshot = await this.snapshot(this.now);
    const checks = step.expect ? checkExpectations(step.expect, snapshot, actions, this.start) : [];
    for (const c of checks)
      if (c.problem !== undefined) this.fail(['steps', index, 'expect', ...c.path], c.problem);
    this.outcomes.push({
      index,
      line: this.scenario.position(['steps', index]).line,
      step,
      label: label(step),
      at: first ?? this.now,
      end: this.now,
      actions,
      snapshot,
      checks,
    });
  }

  /** Does one repetition of a step at `at`; returns the instant of its last fact. */
  async perform(
    index: number,
    step: Step,
    n: number,
    at: Instant,
    actions: BusinessAction[],
  ): Promise<Instant> {
    const ref = `step ${index + 1}${step.repeat ? ` #${n}` : ''}`;
    const user = this.pair.user;
    const b = this.business;
    switch (step.do) {
      case 'user messages':
        await this.webhook(
          userMessageWebhook(b, {
            messageId: userMessageId(++this.counter),
            user,
            at,
            ...(step.text ? { text: step.text } : {}),
          }),
          ref,
        );
        return at;
      case 'user calls': {
        const id = userCallId(++this.counter);
        await this.webhook(callConnectWebhook(b, { callId: id, user, at, direction: 'USER_INITIATED' }), ref);
        // With callback permission on, Meta answers a user's call with an automatic temporary grant (§4, scenario 5).
        if ((await this.engine.ruleEnv(b.phoneNumberId)).callbackEnabledAt(at))
          await this.webhook(
            permissionReplyWebhook(b, {
              replyId: replyId(++this.counter),
              user,
              at,
              response: 'accept',
              context: id,
              source: 'automatic',
            }),
            ref,
          );
        const connected = (step.outcome ?? 'connected') === 'connected';
        const end = connected ? at + this.duration(step.duration) : at;
        await this.webhook(
          callTerminateWebhook(b, {
            callId: id,
            user,
            at: end,
            direction: 'USER_INITIATED',
            ...(connected ? { startedAt: at } : {}),
          }),
          ref,
        );
        return end;
      }
      case 'grant': {
        const context = step.request === undefined ? undefined : this.answerable(index, step.request);
        let expiresAt: number | undefined;
        if (step.expires !== undefined) {
          const resolved = resolveTime(step.expires, this.start);
          if (typeof resolved === 'string') this.fail(['steps', index, 'expires'], resolved);
          expiresAt = resolved;
        }
        await this.reply(at, 'accept', context, step.permanent === true, expiresAt, ref);
        return at;
      }
      case 'decline':
        await this.reply(at, 'reject', this.answerable(index, step.request), false, undefined, ref);
        return at;
      case 'revoke':
        await this.reply(at, 'reject', undefined, false, undefined, ref);
        return at;
      case 'deliver':
      case 'read':
      case 'fail': {
        const status = step.do === 'deliver' ? 'delivered' : step.do === 'read' ? 'read' : 'failed';
        const errorCode = step.do === 'fail' ? (step.error ?? 131026) : undefined;
        await this.webhook(
          messageStatusWebhook(b, {
            messageId: this.answerable(index, step.request),
            user,
            status,
            at,
            ...(errorCode === undefined ? {} : { errorCode }),
          }),
          ref,
        );
        return at;
      }
      case 'send request': {
        const name = repeatedName(step.request, n);
        if (this.sent.has(name) || this.refused.has(name))
          this.fail(
            ['steps', index, 'request'],
            `a request named ${JSON.stringify(name)} was sent before: name each request once`,
          );
        const command: Command = {
          type: 'SendPermissionRequest',
          pair: this.pair,
          requestId: requestId(name),
          channel: step.via === 'free-form' ? 'free_form' : 'template',
        };
        const decided = await this.decide(index, command, name, at, actions);
        if (decided.refusal) {
          this.refused.add(name);
          return decided.at;
        }
        this.sent.add(name);
        if (step.delivered !== false)
          for (const status of ['sent', 'delivered'] as const)
            await this.webhook(
              messageStatusWebhook(b, { messageId: requestId(name), user, status, at: decided.at }),
              ref,
            );
        return decided.at;
      }
      case 'call': {
        const name = repeatedName(step.call ?? `call${++this.counter}`, n);
        if (this.callNames.has(name))
          this.fail(['steps', index, 'call'], `a call named ${JSON.stringify(name)} was made before`);
        this.callNames.add(name);
        const command: Command = { type: 'StartCall', pair: this.pair, callId: callId(name) };
        const decided = await this.decide(index, command, name, at, actions);
        if (decided.refusal) return decided.at;
        return this.callOutcome(callId(name), step.outcome ?? 'connected', decided.at, step.duration, ref);
      }
      case 'callback':
        await this.webhook(callbackSettingWebhook(b, { at, enabled: step.enabled }), ref);
        return at;
      case 'meta reports': {
        let expiration: number | undefined;
        if (step.expires !== undefined) {
          const resolved = resolveTime(step.expires, this.start);
          if (typeof resolved === 'string') this.fail(['steps', index, 'expires'], resolved);
          expiration = resolved;
        }
        const permission =
          step.permission === 'temporary' && expiration !== undefined
            ? { status: step.permission, expiration_time: expiration }
            : { status: step.permission };
        const line = callPermissionsCall(b, {
          at,
          user,
          body: { messaging_product: 'whatsapp', permission },
        });
        await this.translated(this.translator.apiCall(line, ref), ref);
        return at;
      }
      case 'wait':
        return at;
    }
  }

  duration(text: string | undefined): number {
    return text === undefined ? DEFAULT_CALL : (parseDuration(text) as number);
  }

  /** The message id of a named request the business sent: the user can only answer what reached them. */
  answerable(index: number, name: string): string {
    if (this.refused.has(name))
      this.fail(
        ['steps', index, 'request'],
        `request ${JSON.stringify(name)} was refused: it never reached the user`,
      );
    if (!this.sent.has(name))
      this.fail(['steps', index, 'request'], `no request named ${JSON.stringify(name)} was sent before`);
    return requestId(name);
  }

  async reply(
    at: Instant,
    response: 'accept' | 'reject',
    context: string | undefined,
    permanent: boolean,
    expiresAt: number | undefined,
    ref: string,
  ): Promise<void> {
    await this.webhook(
      permissionReplyWebhook(this.business, {
        replyId: replyId(++this.counter),
        user: this.pair.user,
        at,
        response,
        ...(context === undefined ? {} : { context }),
        ...(response === 'accept' ? { permanent } : {}),
        ...(expiresAt === undefined ? {} : { expiresAt }),
        source: 'user_action',
      }),
      ref,
    );
  }

  /**
   * The business's command, decided by the guard (`Engine.attempt`) exactly as `serve` decides it: refused,
   * nothing happens; allowed, the Graph exchange Meta would answer (the send with the scenario's message id, or
   * the connect with its call id) is translated like a logged call and recorded before the pair is released.
   */
  async decide(
    index: number,
    command: Command,
    name: string,
    at: Instant,
    actions: BusinessAction[],
  ): Promise<{ at: Instant; refusal?: Refusal }> {
    const ref = `${this.scenario.file}:steps[${index}]`;
    const result = await this.engine.attempt(
      command.type === 'SendPermissionRequest'
        ? { type: command.type, pair: command.pair, channel: command.channel }
        : { type: command.type, pair: command.pair },
      at,
      async (decided) => {
        const line =
          command.type === 'SendPermissionRequest'
            ? permissionRequestCall(this.business, {
                at: decided,
                user: this.pair.user,
                via: command.channel === 'free_form' ? 'free_form' : { template: SIMULATED_TEMPLATE },
                outcome: { messageId: command.requestId },
              })
            : startCallCall(this.business, {
                at: decided,
                user: this.pair.user,
                outcome: { callId: command.callId },
              });
        const outcome = this.translator.apiCall(line, ref);
        if (outcome.kind === 'rejected') throw new Error(`simulated exchange refused: ${outcome.reason}`);
        return { value: outcome.facts, facts: outcome.facts };
      },
    );
    if (result.ok) this.facts.push(...result.value);
    const action: BusinessAction = {
      step: index,
      at: result.at,
      pair: this.pair,
      command,
      name,
      ...(result.ok ? {} : { refusal: result.refusal }),
    };
    actions.push(action);
    this.actions.push(action);
    return result.ok ? { at: result.at } : { at: result.at, refusal: result.refusal };
  }

  /** Meta's webhooks for what became of an allowed business call (§5). */
  async callOutcome(
    id: string,
    outcome: 'connected' | 'unanswered' | 'rejected' | 'none',
    at: Instant,
    duration: string | undefined,
    ref: string,
  ): Promise<Instant> {
    const b = this.business;
    const user = this.pair.user;
    const call = { callId: id, user, direction: 'BUSINESS_INITIATED' as const };
    switch (outcome) {
      case 'none':
        return at;
      case 'connected': {
        const end = at + this.duration(duration);
        await this.webhook(callStatusWebhook(b, { callId: id, user, at, status: 'ACCEPTED' }), ref);
        await this.webhook(callTerminateWebhook(b, { ...call, at: end, startedAt: at }), ref);
        return end;
      }
      case 'rejected':
        await this.webhook(callStatusWebhook(b, { callId: id, user, at, status: 'REJECTED' }), ref);
        await this.webhook(callTerminateWebhook(b, { ...call, at }), ref);
        return at;
      case 'unanswered':
        await this.webhook(callTerminateWebhook(b, { ...call, at }), ref);
        return at;
    }
  }

  async snapshot(at: Instant): Promise<Snapshot> {
    const view = await this.engine.callPermissions(this.pair, at);
    const byId = new Map((await this.engine.requests(this.pair, at)).map((r) => [r.id, r.state]));
    const requests: Record<string, RequestLifecycle> = {};
    for (const name of this.sent) {
      const state = byId.get(requestId(name));
      if (state !== undefined) requests[name] = state;
    }
    const state = await this.engine.state(this.pair, at);
    const notices = state.notices.filter((n) => !this.seenNotices.has(noticeKey(n)));
    for (const n of notices) this.seenNotices.add(noticeKey(n));
    const snapshot = { at, view, requests, notices, unansweredStreak: state.unansweredStreak };
    return this.engine.changeFeed ? { ...snapshot, changes: await this.toldUntil(at) } : snapshot;
  }

  result(): Simulation {
    return {
      scenario: this.scenario,
      pair: this.pair,
      start: this.start,
      steps: this.outcomes,
      facts: this.facts,
      actions: this.actions,
      badInput: this.badInput,
      engine: this.engine,
      policy: this.policy,
      passed: this.outcomes.every((o) => o.checks.every((c) => c.passed)),
    };
  }
}

function noticeKey(n: Notice): string {
  return `${n.type}:${n.at}:${n.callId}`;
}

/** The step in words, for the report. */
export function label(step: Step): string {
  const times = step.repeat && step.repeat > 1 ? ` ×${step.repeat}` : '';
  switch (step.do) {
    case 'send request':
      return `send request "${step.request}" (${step.via ?? 'template'})${times}`;
    case 'call':
      return `call${step.call ? ` "${step.call}"` : ''} (${step.outcome ?? 'connected'})${times}`;
    case 'grant':
      return `grant ${step.permanent ? 'permanent' : 'temporary'} (${step.request ? `answering "${step.request}"` : 'profile'})${times}`;
    case 'decline':
    case 'deliver':
    case 'read':
    case 'fail':
      return `${step.do} "${step.request}"${times}`;
    case 'user calls':
      return `user calls (${step.outcome ?? 'connected'})${times}`;
    case 'callback':
      return `callback ${step.enabled ? 'on' : 'off'}${times}`;
    case 'meta reports':
      return `Meta reports ${step.permission}${times}`;
    default:
      return `${step.do}${times}`;
  }
}
