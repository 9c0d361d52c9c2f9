// What `callpermit simulate` prints: the state after each step as a table, each expectation passed or
// failed with the difference, or the same as JSON for tools.
import { isoInstant } from '@callpermit/cloud-api';
import type { ActionView } from '@callpermit/core';
import Table from 'cli-table3';
import { NOTICE_NAMES } from './checks.js';
import type { Simulation, StepOutcome } from './simulator.js';

function usage(action: ActionView | undefined): string {
  return (action?.limits ?? []).map((l) => `${l.current_usage}/${l.max_allowed} ${l.time_period}`).join(' ');
}

function permission(o: StepOutcome): string {
  const p = o.snapshot.view.permission;
  return p.expiration_time === undefined ? p.status : `${p.status} until ${isoInstant(p.expiration_time)}`;
}

function decisions(o: StepOutcome): string {
  if (o.actions.length === 0) return '';
  const allowed = o.actions.filter((a) => !a.refusal).length;
  const refused = o.actions.filter((a) => a.refusal);
  if (o.actions.length === 1) return refused[0]?.refusal ? `refused ${refused[0].refusal.code}` : 'allowed';
  const codes = [...new Set(refused.map((a) => a.refusal?.code))].join(', ');
  return `${allowed} allowed${refused.length > 0 ? `, ${refused.length} refused (${codes})` : ''}`;
}

function notes(o: StepOutcome): string {
  const parts = o.snapshot.notices.map((n) => NOTICE_NAMES[n.type]);
  const requests = Object.entries(o.snapshot.requests).map(([name, state]) => `${name}: ${state}`);
  return [...parts, ...requests].join('\n');
}

/** The readable report: one row per step, then each failed expectation with expected and actual. */
export function textReport(sim: Simulation): string {
  const table = new Table({
    head: [
      '#',
      'when',
      'step',
      'decision',
      'permission',
      'ask',
      'call',
      'requests used',
      'calls used',
      'requests / notices',
      'changes told',
    ],
    style: { head: [], border: [], compact: true },
    wordWrap: true,
  });
  for (const o of sim.steps) {
    const [ask, call] = o.snapshot.view.actions;
    table.push([
      String(o.index + 1),
      isoInstant(o.end),
      o.step.note ? `${o.label}\n(${o.step.note})` : o.label,
      decisions(o),
      permission(o),
      ask?.can_perform_action ? 'yes' : 'no',
      call?.can_perform_action ? 'yes' : 'no',
      usage(ask),
      usage(call),
      notes(o),
      (o.snapshot.changes ?? []).map((c) => c.kind).join('\n'),
    ]);
  }
  const lines = [`scenario: ${sim.scenario.data.scenario} (${sim.scenario.file})`, table.toString()];
  // Each refusal code once, with Meta's meaning.
  const titles = new Map(
    sim.steps.flatMap((o) =>
      o.actions.flatMap((a) => (a.refusal ? [[a.refusal.code, a.refusal.title] as const] : [])),
    ),
  );
  for (const [code, title] of [...titles].sort(([a], [b]) => a - b)) lines.push(`${code}: ${title}`);
  for (const bad of sim.badInput) lines.push(`bad input: ${bad.where}: ${bad.reason}`);
  let passed = 0;
  let failed = 0;
  for (const o of sim.steps) {
    for (const c of o.checks) {
      if (c.passed) passed++;
      else {
        failed++;
        lines.push(
          `✗ step ${o.index + 1} (line ${o.line}) ${c.field}: expected ${c.expected}, got ${c.actual}`,
        );
      }
    }
  }
  lines.push(
    failed === 0
      ? `✓ ${passed} expectation${passed === 1 ? '' : 's'} passed`
      : `${failed} expectation${failed === 1 ? '' : 's'} failed, ${passed} passed`,
  );
  return lines.join('\n');
}

/** The same for tools: each step's instant, decisions, Meta's GET body, requests, notices, changes and checks. */
export function jsonReport(sim: Simulation): unknown {
  return {
    scenario: sim.scenario.data.scenario,
    file: sim.scenario.file,
    business: sim.pair.business,
    user: sim.pair.user,
    passed: sim.passed,
    bad_input: sim.badInput,
    steps: sim.steps.map((o) => ({
      step: o.index + 1,
      line: o.line,
      do: o.step.do,
      label: o.label,
      at: o.at,
      end: o.end,
      decisions: o.actions.map((a) => ({
        name: a.name,
        at: a.at,
        ...(a.refusal
          ? {
              refused: a.refusal.code,
              title: a.refusal.title,
              ...(a.refusal.retryAt === undefined ? {} : { retry_at: a.refusal.retryAt }),
            }
          : { allowed: true }),
      })),
      call_permissions: o.snapshot.view,
      requests: o.snapshot.requests,
      notices: o.snapshot.notices.map((n) => ({ notice: NOTICE_NAMES[n.type], at: n.at, call_id: n.callId })),
      unanswered_streak: o.snapshot.unansweredStreak,
      ...(o.snapshot.changes === undefined ? {} : { changes: o.snapshot.changes }),
      checks: o.checks.map((c) => ({
        field: c.field,
        expected: c.expected,
        actual: c.actual,
        passed: c.passed,
      })),
    })),
  };
}
