// The child process of `startInChild`: starts one server of servers.ts, tells the parent its URL, and closes it
// when the parent disconnects (or sends SIGTERM).
import {
  fakeGraph,
  guardFloor,
  guardOurs,
  queryFloor,
  queryOurs,
  type Running,
  webhookFloor,
  webhookOurs,
} from './servers.js';

// biome-ignore lint/suspicious/noExplicitAny: the arguments are the parent's JSON, per server.
const starters: Record<string, (args: any) => Promise<Running>> = {
  'webhook-ours': (a) => webhookOurs(a.store),
  'webhook-floor': (a) => webhookFloor(a.store),
  'query-ours': (a) => queryOurs(a.dataDir, a.facts, a.seed),
  'query-floor': (a) => queryFloor(a.bodyBytes),
  'fake-graph': () => fakeGraph(),
  'guard-ours': (a) => guardOurs(a.dataDir, a.pairs, a.graphUrl),
  'guard-floor': (a) => guardFloor(a.graphUrl),
};

const [kind = '', json = '{}'] = process.argv.slice(2);
const start = starters[kind];
if (start === undefined) {
  process.stderr.write(`serverChild: unknown server ${kind}\n`);
  process.exit(2);
}
const running = await start(JSON.parse(json));
let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await running.close();
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.send?.({ url: running.url, info: running.info ?? {} });
