import { randomBytes } from 'node:crypto';
import { isoInstant } from '@callpermit/cloud-api';
import { Engine, type Instant, isBusinessFact, type Pair, type PolicyBook } from '@callpermit/core';
import {
  configFromEnv,
  createApp,
  createLogger,
  ENV,
  HttpConfigError,
  listen,
  Metrics,
  startFeedRunner,
} from '@callpermit/http';
import {
  openStoreOption,
  POLICY_SETTING,
  type ReplayCounts,
  type StoreFlags,
  storePolicy,
} from '@callpermit/service';
import type { SqlStore } from '@callpermit/store';
import { Command } from 'commander';
import { assertReadable } from '../capture.js';
import { CliFailure } from '../failure.js';
import { replayCaptures } from '../replayer.js';
import type { CliIo } from './query.js';

interface ServeOptions extends StoreFlags {
  host: string;
  port: string;
  policy?: string;
  insecureDev?: boolean;
  load?: string[];
}

/** A pair the loaded history names, and the instant of its last fact: where the printed queries look. */
interface Showcase {
  readonly pair: Pair;
  readonly at: Instant;
}

/**
 * `--load FILE…`: the capture files replayed into the store before serving, as `replay` does (a line the inbox
 * holds already is a duplicate, so a second start adds nothing). Returns the counts and the first pair named.
 */
async function load(
  store: SqlStore,
  files: readonly string[],
  policy: PolicyBook,
  io: CliIo,
): Promise<{ counts: ReplayCounts; showcase: Showcase | undefined }> {
  let showcase: Showcase | undefined;
  const counts = await replayCaptures(store, files, policy, (line, result) => {
    // A bad line is reported and kept in the inbox, as `replay` does.
    if (result.outcome === 'rejected') io.stderr(result.reason ?? `${line.file}:${line.lineNo}: rejected`);
    if (line.outcome.kind !== 'facts') return;
    for (const fact of line.outcome.facts) {
      if (isBusinessFact(fact)) continue;
      if (showcase === undefined) showcase = { pair: fact.pair, at: fact.at };
      else if (fact.pair.business === showcase.pair.business && fact.pair.user === showcase.pair.user)
        showcase = { pair: showcase.pair, at: Math.max(showcase.at, fact.at) };
    }
  });
  return { counts, showcase };
}

/** Ready-to-paste queries against the running service, for the pair the loaded history names. */
function tryThese(url: string, token: string | undefined, showcase: Showcase): string[] {
  const { business, user } = showcase.pair;
  const at = isoInstant(showcase.at);
  const auth = token === undefined ? '' : ` -H 'Authorization: Bearer ${token}'`;
  const query = `user_wa_id=${encodeURIComponent(user)}&at=${at}`;
  const page = `${url}/v1/${business}/timeline?user_wa_id=${encodeURIComponent(user)}`;
  return [
    `Try (the pair's state at its last fact, ${at}):`,
    `  curl -s${auth} '${url}/v1/${business}/call_permissions?${query}'`,
    `  curl -s${auth} '${url}/v1/${business}/call_permissions/requests?${query}'`,
    `  curl -s${auth} '${url}/metrics' | grep callpermit_`,
    `Timeline page: ${token === undefined ? page : `${page}&access_token=${token}`}`,
  ];
}

/** Addresses only this machine can reach: the only ones `--insecure-dev` may listen on. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new CliFailure(`--port ${text}: expected 0 to 65535`);
  return port;
}

/** Resolves on the first SIGTERM or SIGINT. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/**
 * `callpermit serve`: the HTTP service (docs/http.md) over the store. Secrets and the upstream come from the
 * environment; it refuses to start without an app secret and API tokens unless `--insecure-dev` on loopback.
 * Prints the URL it listens on; SIGTERM (or SIGINT) lets requests in flight finish, then closes the store.
 */
export function serveCommand(io: CliIo): Command {
  return new Command('serve')
    .description("serve Meta's webhooks, the permission API and the guard proxy over HTTP")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--db <dir>', 'embedded store directory (PGlite; default .callpermit/db)')
    .option(
      '--database-url <url>',
      'PostgreSQL URL (or set CALLPERMIT_DATABASE_URL); several instances may share it',
    )
    .option(
      '--policy <file>',
      "policy file (JSON; docs/policy.md), kept with the store; must match the store's",
    )
    .option(
      '--insecure-dev',
      'start without an app secret or API tokens (loopback addresses only; prints a token for this run)',
    )
    .option('--load <files...>', 'capture files (NDJSON) replayed into the store before serving (idempotent)')
    .action(async (options: ServeOptions) => {
      const port = portOf(options.port);
      for (const file of options.load ?? []) await assertReadable(file);
      let config: Awaited<ReturnType<typeof configFromEnv>>;
      try {
        config = await configFromEnv(process.env);
      } catch (error) {
        if (error instanceof HttpConfigError) throw new CliFailure(error.message);
        throw error;
      }
      const missing = [
        ...(config.appSecrets.length === 0 ? [ENV.appSecret] : []),
        ...(config.apiTokens.length === 0 ? [ENV.apiTokens] : []),
      ];
      if (missing.length > 0 && !options.insecureDev)
        throw new CliFailure(
          `refusing to start without ${missing.join(' and ')}: webhooks could not be verified or anyone could call the API ` +
            '(--insecure-dev allows it on a loopback address, for development)',
        );
      if (options.insecureDev && !isLoopback(options.host))
        throw new CliFailure(
          `--insecure-dev listens on loopback only (127.0.0.1, ::1, localhost), not ${options.host}`,
        );
      const store = await openStoreOption(options);
      try {
        const before = await store.inbox.counts();
        const empty = before.applied + before.duplicate + before.ignored + before.rejected === 0;
        const { book: policy, save } = await storePolicy(store, options.policy, empty);
        if (save !== undefined)
          await store.atomically((_facts, _inbox, settings) => settings.put(POLICY_SETTING, save));
        const loaded = options.load === undefined ? undefined : await load(store, options.load, policy, io);
        // --insecure-dev without API tokens still asks callers for one: a random token for this run, printed.
        const devToken =
          options.insecureDev && config.apiTokens.length === 0
            ? `dev-${randomBytes(16).toString('hex')}`
            : undefined;
        const logger = createLogger(config.logLevel);
        // The change feed is on: facts commit with their changes, and the feed's loops run beside the routes.
        const engine = new Engine(store, { policy, changeFeed: true });
        const metrics = new Metrics({ processMetrics: true });
        const app = createApp(engine, {
          ...config,
          ...(devToken === undefined ? {} : { apiTokens: [{ token: devToken }] }),
          insecure: options.insecureDev === true,
          logger,
          metrics,
        });
        if (missing.length > 0)
          logger.warn(
            `--insecure-dev, for development only: no ${missing.join(' and ')}` +
              (devToken === undefined ? '' : ' (callers use the token printed for this run)'),
          );
        const feed = await startFeedRunner({
          engine,
          subscriptions: store.subscriptions,
          fileSubscriptions: config.fileSubscriptions,
          metrics,
          log: logger,
        });
        const server = await listen(app, { host: options.host, port, timeouts: config.server });
        io.stdout(`callpermit: listening on ${server.url} (store: ${store.location})`);
        if (loaded !== undefined) {
          const c = loaded.counts;
          io.stdout(
            `callpermit: loaded ${options.load?.join(', ')}: ${c.lines} lines, ${c.applied} applied, ${c.duplicates} duplicates, ` +
              `${c.ignored} ignored, ${c.rejected} rejected`,
          );
        }
        if (devToken !== undefined)
          io.stdout(`callpermit: --insecure-dev: the API token for this run is ${devToken}`);
        if (loaded?.showcase !== undefined)
          for (const line of tryThese(
            server.url,
            devToken ?? (config.apiTokens.length > 0 ? '<API token>' : undefined),
            loaded.showcase,
          ))
            io.stdout(line);
        const signal = await stopSignal();
        logger.info({ signal }, 'shutting down: finishing requests in flight');
        await Promise.all([server.close(), feed.stop()]);
      } finally {
        await store.close();
      }
    });
}
