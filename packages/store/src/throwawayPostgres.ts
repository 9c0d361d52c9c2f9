import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository's throwaway-server script (see its header), from src/ or dist/ up to the repository root. */
const PG_SCRIPT = fileURLToPath(new URL('../../../.ci/pg.sh', import.meta.url));
/** initdb and start-up take seconds; apt-get may have to install the server first on a clean machine. */
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 15_000;

/** A PostgreSQL server of one's own, on loopback, deleted with its data when stopped. */
export interface ThrowawayPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts a fresh PostgreSQL with .ci/pg.sh, for tests and benchmarks. The script keeps the server while its
 * stdin is open, so a process that dies takes its server with it. `onLog` sees the script's stderr lines.
 */
export async function startThrowawayPostgres(
  onLog: (line: string) => void = () => {},
): Promise<ThrowawayPostgres> {
  const child = spawn('bash', [PG_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    const url = await urlFrom(child, onLog);
    return { url, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

function urlFrom(child: ChildProcess, onLog: (line: string) => void): Promise<string> {
  let stderr = '';
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr += `${line}\n`;
    onLog(line);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`.ci/pg.sh gave no URL within ${START_TIMEOUT_MS / 1000} s:\n${stderr}`));
    }, START_TIMEOUT_MS);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('postgres://')) return;
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`.ci/pg.sh exited with status ${code} before giving a URL:\n${stderr}`));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Closing stdin ends the script, whose exit trap stops the server and deletes its directory. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin?.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await exited;
  }
}
