import { Engine } from '@callpermit/core';
import {
  configFromEnv,
  createApp,
  createLogger,
  ENV,
  HttpConfigError,
  listen,
  Metrics,
} from '@callpermit/http';
import { openStoreOption, POLICY_SETTING, type StoreFlags, storePolicy } from '@callpermit/service';
import { Command } from 'commander';
import { CliFailure } from '../failure.js';
import type { CliIo } from './query.js';

interface ServeOptions extends StoreFlags {
  host: string;
  port: string;
  policy?: string;
  insecureDev?: boolean;
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
    .option('--insecure-dev', 'start without an app secret or API tokens (loopback addresses only)')
    .action(async (options: ServeOptions) => {
      const port = portOf(options.port);
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
        const logger = createLogger(config.logLevel);
        const app = createApp(new Engine(store, { policy }), {
          ...config,
          insecure: options.insecureDev === true,
          logger,
          metrics: new Metrics({ processMetrics: true }),
        });
        if (missing.length > 0)
          logger.warn(`--insecure-dev: no ${missing.join(' and ')}; for development only`);
        const server = await listen(app, { host: options.host, port });
        io.stdout(`callpermit: listening on ${server.url} (store: ${store.location})`);
        const signal = await stopSignal();
        logger.info({ signal }, 'shutting down: finishing requests in flight');
        await server.close();
      } finally {
        await store.close();
      }
    });
}
