// Open routes for operators: liveness, readiness (the store answers), Prometheus metrics.
import type { Context } from 'hono';
import type { AppEnv, Parts } from '../context.js';
import { RETRY_AFTER_SECONDS } from '../errors.js';

/** How long the store has to answer before the service reports itself not ready. */
export const READY_TIMEOUT_MS = 2000;

export function health(c: Context<AppEnv>): Response {
  return c.json({ status: 'ok' }, 200);
}

/** 200 when the store answers a query within READY_TIMEOUT_MS and the service is not draining; 503 otherwise. */
export async function readiness(
  c: Context<AppEnv>,
  parts: Parts,
  draining: () => boolean,
): Promise<Response> {
  const unavailable = (reason: string) => {
    c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return c.json({ status: 'unavailable', reason }, 503);
  };
  if (draining()) return unavailable('shutting down');
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      parts.engine.store.knownKeys(['callpermit:readyz']),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    return unavailable(`the store does not answer: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    clearTimeout(timer);
  }
  return c.json({ status: 'ready' }, 200);
}

export async function metrics(c: Context<AppEnv>, parts: Parts): Promise<Response> {
  const text = await parts.metrics.registry.metrics();
  return c.body(text, 200, { 'Content-Type': parts.metrics.registry.contentType });
}
