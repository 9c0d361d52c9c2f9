// The scenario file (docs/simulation.md): a pair, a start, and steps in domain words, each optionally with
// expectations about the state after it. One zod schema validates files and generates the JSON Schema in
// docs/ (scenarioJsonSchema), so the two cannot drift. No transforms: values are read after validation.
import { changeKinds, textProblem } from '@callpermit/core';
import { z } from 'zod';
import { DURATION_PATTERN } from './time.js';

const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), 'not a duration: write 90m, 1d12h, 7d, PT24H or P7D')
  .describe('a duration: 30s, 90m, 1d12h, 1w, or ISO-8601 (PT24H, P7D)');
const time = z
  .union([z.string().min(1), z.number().int().nonnegative()])
  .describe('an instant: ISO-8601 with an offset, Unix seconds, or +DURATION after the scenario start');
/** Ids are strings; YAML reads an unquoted phone number as a number, which is accepted. */
const id = z.union([z.string().min(1), z.number().int().nonnegative()]);
/**
 * Names become the ids of the simulated messages and calls (`wamid.sim.request.NAME`, names.ts), which core
 * checks as ids: printable text, short enough for the prefix and a repetition's `-N`.
 */
export const MAX_NAME_LENGTH = 200;
const name = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .superRefine((value, context) => {
    const problem = textProblem(value, MAX_NAME_LENGTH);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  })
  .describe('the name the scenario gives a request or a call');

export const permissionStatuses = ['no_permission', 'temporary', 'permanent'] as const;
export const requestStates = [
  'sent',
  'delivered',
  'accepted',
  'declined',
  'expired',
  'superseded',
  'failed',
] as const;
export const noticeNames = ['reconsider prompt', 'automatic revoke'] as const;
export type NoticeName = (typeof noticeNames)[number];

const usage = z.record(
  z.string().regex(new RegExp(DURATION_PATTERN)).describe('the window, as Meta names it: PT24H, P7D'),
  z.number().int().nonnegative(),
);

/** A change the feed tells (docs/changes.md): its kind alone, or its kind with what else must match. */
const changeExpectation = z.union(
  [
    z.enum(changeKinds).describe('the kind of change'),
    z
      .strictObject({
        kind: z.enum(changeKinds),
        at: time.optional().describe('the instant of the change'),
        request: name.optional().describe('the named request it concerns (request.*, permission.declined)'),
        expires: time.optional().describe('the expiry it carries (a grant, a request)'),
        until: time.optional().describe('until when a limit binds or the window is open'),
        via: z
          .enum(['request', 'profile', 'callback', 'observed'])
          .optional()
          .describe('how a permission was granted'),
        by: z.enum(['user', 'automatic', 'observed']).optional().describe('who revoked a permission'),
      })
      .describe('a change with the values it must carry'),
  ],
  {
    error: `not a change: write a kind (${changeKinds.join(', ')}) or { kind: …, at, request, expires, until, via, by }`,
  },
);
export type ChangeExpectation = z.output<typeof changeExpectation>;

export const expectationSchema = z
  .strictObject({
    permission: z.enum(permissionStatuses).optional().describe("the permission, as Meta's GET reports it"),
    expires: z
      .union([time, z.literal('never')])
      .optional()
      .describe("the permission's expiration_time; never: no expiry (permanent or none)"),
    can_ask: z.boolean().optional().describe('a (template) permission request would be allowed'),
    can_call: z.boolean().optional().describe('a business-initiated call would be allowed'),
    usage: z
      .strictObject({
        requests: usage.optional().describe('permission requests counted in each request-limit window'),
        calls: usage.optional().describe('connected calls counted in each call-limit window'),
      })
      .optional(),
    requests: z
      .record(name, z.enum(requestStates))
      .optional()
      .describe("each named request's lifecycle state"),
    allowed: z.literal(true).optional().describe("this step's business action was allowed"),
    refused: z
      .number()
      .int()
      .optional()
      .describe(
        "this step's business action was refused with Meta's error code (138006, 138009, 138012, 138017, 131047)",
      ),
    retry_at: time.optional().describe('the refusal says it would be allowed from this instant'),
    notices: z
      .array(z.enum(noticeNames))
      .optional()
      .describe('what WhatsApp showed the user because of this step (in order); [] for nothing'),
    unanswered_streak: z.number().int().nonnegative().optional(),
    changes: z
      .array(changeExpectation)
      .optional()
      .describe(
        "what the change feed told of the pair during this step (after the previous step's end, up to this one's), in the feed's order; [] for nothing",
      ),
  })
  .describe('what must hold after the step');

const common = {
  at: time.optional().describe('when the step happens'),
  after: duration
    .optional()
    .describe('when the step happens: this long after the previous step (default 1m)'),
  repeat: z.number().int().min(1).max(10000).optional().describe('do the step this many times'),
  every: duration.optional().describe('from the start of one repetition to the next (default 1m)'),
  note: z.string().optional().describe('shown in the report'),
  expect: expectationSchema.optional(),
};

const step = <T extends string, S extends z.ZodRawShape>(action: T, description: string, shape: S) =>
  z.strictObject({ do: z.literal(action), ...common, ...shape }).describe(description);

export const stepSchema = z.discriminatedUnion('do', [
  step('user messages', 'the user writes to the business: opens the customer-service window', {
    text: z.string().optional(),
  }),
  step('user calls', 'the user calls the business: opens the window; with callback on, a temporary grant', {
    outcome: z.enum(['connected', 'missed']).optional().describe('default connected'),
    duration: duration.optional().describe('how long a connected call lasts (default 2m)'),
  }),
  step('grant', 'the user allows calls: answering a request, or from the business profile', {
    request: name.optional().describe('the request answered; absent: from the business profile'),
    permanent: z.boolean().optional().describe('default false: a temporary grant'),
    expires: time
      .optional()
      .describe("Meta's expiration_timestamp; absent: the policy's temporary grant length"),
  }),
  step('decline', 'the user declines a request', { request: name }),
  step('revoke', 'the user revokes the permission from the business profile', {}),
  step('deliver', 'Meta reports the request delivered', { request: name }),
  step('read', 'Meta reports the request read (read implies delivered)', { request: name }),
  step('fail', 'Meta reports the request failed', {
    request: name,
    error: z.number().int().optional().describe('default 131026: the app is too old'),
  }),
  step('send request', 'the business sends a call permission request; the engine decides', {
    request: name,
    via: z.enum(['template', 'free-form']).optional().describe('default template'),
    delivered: z.boolean().optional().describe('Meta reports it sent and delivered at once (default true)'),
  }),
  step('call', 'the business calls the user; the engine decides', {
    call: name.optional(),
    outcome: z
      .enum(['connected', 'unanswered', 'rejected', 'none'])
      .optional()
      .describe('what happens if the call is allowed (default connected); none: no outcome yet'),
    duration: duration.optional().describe('how long a connected call lasts (default 2m)'),
  }),
  step('callback', "the business turns its number's callback permission setting on or off", {
    enabled: z.boolean(),
  }),
  step('meta reports', "the business asks Meta's GET call_permissions and Meta answers", {
    permission: z.enum(permissionStatuses),
    expires: time.optional().describe('expiration_time, for temporary'),
  }),
  step('wait', 'time passes; only the expectations are checked', {}),
]);

export const scenarioSchema = z
  .strictObject({
    scenario: z.string().min(1).describe('what the scenario shows'),
    rule: z.string().optional().describe("the seed's sentence it illustrates"),
    business: id.optional().describe('the business phone number id (default 109876543210987)'),
    user: id.optional().describe("the user's wa_id (default 447700900123)"),
    start: time
      .optional()
      .describe('the first instant (default 2026-01-05T09:00:00Z; with from: its last fact)'),
    from: z.string().min(1).optional().describe('a capture file replayed first, relative to the scenario'),
    policy: z.string().min(1).optional().describe('a policy file (docs/policy.md), relative to the scenario'),
    steps: z.array(stepSchema).min(1),
  })
  .describe('a callpermit scenario (docs/simulation.md)');

export type ScenarioFile = z.output<typeof scenarioSchema>;
export type Step = z.output<typeof stepSchema>;
export type Expectation = z.output<typeof expectationSchema>;
export type StepAction = Step['do'];
