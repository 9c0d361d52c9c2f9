// The ids the simulator invents for what a scenario names: Meta's shapes (`wamid.…`, `wacid.…`), readable,
// and distinct from any a capture could hold.

const REQUEST = 'wamid.sim.request.';
export const requestId = (name: string) => `${REQUEST}${name}`;
/** The scenario's name of a request id it invented (others are left as they are). */
export const requestName = (id: string) => (id.startsWith(REQUEST) ? id.slice(REQUEST.length) : id);
export const callId = (name: string) => `wacid.sim.call.${name}`;
export const userMessageId = (n: number) => `wamid.sim.in.${n}`;
export const replyId = (n: number) => `wamid.sim.reply.${n}`;
export const userCallId = (n: number) => `wacid.sim.usercall.${n}`;

/** The name of the n-th repetition of a named step: `first`, `first-2`, `first-3`… */
export function repeatedName(name: string, n: number): string {
  return n === 1 ? name : `${name}-${n}`;
}
