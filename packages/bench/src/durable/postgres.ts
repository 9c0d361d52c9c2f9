import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openSqlClient } from '@callpermit/store';

/** The repository's throwaway-server script (see its header): from dist/durable/ up to the repository root. */
const PG_SCRIPT = fileURLToPath(new URL('../../../../.ci/pg.sh', import.meta.url));
/** initdb and start-up take seconds; apt-get may have to install the server first on a clean machine. */
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 15_000;

/** A PostgreSQL server of our own for one benchmark: deleted with its data when stopped. */
export interface ThrowawayPostgres {
  /** The URL of a new, empty database on the server. */
  newDatabase(name: string): Promise<string>;
}

/**
 * Runs `fn` with a fresh PostgreSQL from .ci/pg.sh and stops it afterwards, however `fn` ends. The script
 * keeps the server while its stdin is open, so even a bench process that is killed takes the server with it.
 */
export async function withPostgres<T>(
  log: (message: string) => void,
  fn: (server: ThrowawayPostgres) => Promise<T>,
): Promise<T> {
  const child = spawn('bash', [PG_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    const url = await serverUrl(child, log);
    return await fn({ newDatabase: (name) => createDatabase(url, name) });
  } finally {
    await stop(child);
  }
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = await openSqlClient({ databaseUrl: serverUrl });
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function serverUrl(child: ChildProcess, log: (message: string) => void): Promise<string> {
  let stderr = '';
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr += `${line}\n`;
    log(line);
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
