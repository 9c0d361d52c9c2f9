// Mermaid state diagrams drawn from core's machine definitions (docs/machines.md), so the picture is the
// code: `pnpm -s docs:generate` writes the file, a test fails when it is stale.
import { permissionMachine, requestMachine } from '@callpermit/core';
import type { AnyStateMachine } from 'xstate';

/** A machine as a Mermaid `stateDiagram-v2`: every state, every declared transition, final states. */
export function stateDiagram(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${String(machine.config.initial)}`];
  for (const [name, node] of Object.entries(machine.root.states)) {
    for (const [event, definitions] of node.transitions) {
      for (const d of definitions) lines.push(`  ${name} --> ${d.target?.[0]?.key ?? name}: ${event}`);
    }
    if (node.type === 'final') lines.push(`  ${name} --> [*]`);
  }
  return lines.join('\n');
}

/** docs/machines.md: both lifecycles, as the fold reads them. */
export function machinesMarkdown(): string {
  const section = (title: string, file: string, about: string, machine: AnyStateMachine) =>
    `## ${title}\n\n${about}\n\nFrom \`packages/core/src/machines/${file}\`.\n\n\`\`\`mermaid\n${stateDiagram(machine)}\n\`\`\`\n`;
  return `# The lifecycle machines

Generated from the machine definitions in \`packages/core/src/machines/\` by \`pnpm -s docs:generate\`; a test
fails when this file is stale. Edit the machines, not this file. The fold reads each machine once into a
lookup table (\`lifecycleTable.ts\`). Events are named in the past tense, like facts: what happened to the
lifecycle, which the fold sends as facts arrive; Expired is sent by the fold when a fact or a query reaches
an expiry instant (time is an input: no timers). See [rules.md](rules.md) for what each transition means.

${section('Permission', 'permissionMachine.ts', "A pair's call permission: only the user grants or revokes; a temporary grant expires.", permissionMachine as AnyStateMachine)}
${section('Permission request', 'requestMachine.ts', 'One permission request message, from sent to expired, superseded or failed.', requestMachine as AnyStateMachine)}`;
}
