// A scenario file from disk, with the capture and the policy file it names (paths relative to it).
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PolicyFileError, parsePolicyFile, readCaptureLines } from '@callpermit/cloud-api';
import type { PolicyBook } from '@callpermit/core';
import { parseScenario, type Scenario, ScenarioError } from './scenario/read.js';
import type { CaptureInput } from './simulator.js';

export interface LoadedScenario {
  readonly scenario: Scenario;
  /** The capture named by `from`, to replay before the steps. */
  readonly capture?: CaptureInput;
  /** The policy file named by `policy` (resolved against the scenario's folder), read and checked. */
  readonly policy?: { readonly file: string; readonly book: PolicyBook };
}

/** Reads and validates a scenario file; a problem is a ScenarioError naming the file and line. */
export async function loadScenario(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(
      file,
      0,
      0,
      '',
      `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const scenario = parseScenario(text, file);
  const near = (path: string) => resolve(dirname(file), path);
  const { from, policy } = scenario.data;
  let capture: CaptureInput | undefined;
  if (from !== undefined) {
    const path = near(from);
    try {
      await access(path);
    } catch {
      const at = scenario.position(['from']);
      throw new ScenarioError(file, at.line, at.column, 'from', `cannot read ${path}`);
    }
    capture = { name: from, lines: readCaptureLines(createReadStream(path)) };
  }
  return {
    scenario,
    ...(capture === undefined ? {} : { capture }),
    ...(policy === undefined
      ? {}
      : { policy: { file: near(policy), book: await readPolicy(scenario, near(policy)) } }),
  };
}

async function readPolicy(scenario: Scenario, path: string): Promise<PolicyBook> {
  const at = scenario.position(['policy']);
  const refuse = (reason: string): never => {
    throw new ScenarioError(scenario.file, at.line, at.column, 'policy', `${path}: ${reason}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return refuse((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  try {
    return parsePolicyFile(json);
  } catch (error) {
    if (error instanceof PolicyFileError) return refuse(`${error.path || '(root)'}: ${error.reason}`);
    throw error;
  }
}
