import { readFileSync } from 'node:fs';
import { permissionMachine, permissionTable, requestMachine, requestTable } from '@callpermit/core';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { machinesMarkdown, stateDiagram } from './machineDiagram.js';

const DOC = new URL('../../../docs/machines.md', import.meta.url);

describe('docs/machines.md', () => {
  it('is what the machine definitions generate (run pnpm -s docs:generate after changing a machine)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(machinesMarkdown());
  });

  it.each([
    ['permission', permissionMachine, permissionTable],
    ['request', requestMachine, requestTable],
  ] as const)('draws every transition the %s fold can take, and nothing else', (_name, machine, table) => {
    const diagram = stateDiagram(machine as AnyStateMachine).split('\n');
    const fromTable = Object.entries(table as Record<string, Record<string, string>>).flatMap(([from, row]) =>
      Object.entries(row).map(([event, to]) => `  ${from} --> ${to}: ${event}`),
    );
    expect(diagram.filter((l) => l.includes(': ')).sort()).toEqual(fromTable.sort());
    expect(diagram[0]).toBe('stateDiagram-v2');
    expect(diagram[1]).toBe(`  [*] --> ${String((machine as AnyStateMachine).config.initial)}`);
  });
});
