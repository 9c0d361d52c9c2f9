// A PostgreSQL server of the scenario's own, for the faults that stop it: a throwaway server from .ci/pg.sh
// (loopback, deleted with its data when closed) that this module can stop (fast: sessions terminated; immediate:
// a crash), start again on the same port and data, freeze (SIGSTOP: a server that stops answering) and thaw.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { startThrowawayPostgres } from '@callpermit/store';
import pg from 'pg';

export interface OwnPostgres {
  /** The server's URL (database `postgres`). */
  readonly url: string;
  /** A new database; with `tablespace`, created in it. */
  newDatabase(tablespace?: string): Promise<string>;
  /** Runs statements as the superuser, one after the other, on `database` (default `postgres`). */
  admin(statements: readonly string[], database?: string): Promise<void>;
  stop(mode: 'fast' | 'immediate'): void;
  start(): void;
  /** SIGSTOP to the server and every backend: connections stay open, nothing answers. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

function pgBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}

/** pg_ctl as the server's user (PostgreSQL refuses to run as root). */
function pgCtl(args: readonly string[]): void {
  const command = `${pgBin()}/pg_ctl`;
  if (process.getuid?.() === 0)
    execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
  else execFileSync(command, [...args], { stdio: 'pipe' });
}

/** The postmaster's pid and every process it started. */
function serverProcesses(dataDir: string): number[] {
  const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return [postmaster, ...children];
}

export async function startOwnPostgres(log: (line: string) => void = () => {}): Promise<OwnPostgres> {
  let dataDir = '';
  const server = await startThrowawayPostgres((line) => {
    const found = /\(data (\S+)\)/.exec(line);
    if (found) dataDir = found[1] as string;
    log(line);
  });
  if (dataDir === '') {
    await server.stop();
    throw new Error('.ci/pg.sh did not say where its data directory is');
  }
  const port = new URL(server.url).port;
  let frozen: number[] = [];
  const admin = async (statements: readonly string[], database = 'postgres') => {
    const url = new URL(server.url);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const own: OwnPostgres = {
    url: server.url,
    admin,
    async newDatabase(tablespace) {
      const name = `soak_${randomBytes(5).toString('hex')}`;
      // Acknowledged means durable here: the throwaway server runs without synchronous commit by default,
      // and a server stopped immediately would lose commits it had answered.
      await admin([
        `create database ${name}${tablespace === undefined ? '' : ` tablespace ${tablespace}`}`,
        `alter database ${name} set synchronous_commit = on`,
      ]);
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop(mode) {
      pgCtl(['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    start() {
      pgCtl([
        '-D',
        dataDir,
        '-l',
        `${dataDir}/server.log`,
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
        'start',
      ]);
    },
    freeze() {
      frozen = serverProcesses(dataDir);
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    },
    thaw() {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // It ended.
        }
      }
      frozen = [];
    },
    async close() {
      own.thaw();
      await server.stop();
    },
  };
  return own;
}
