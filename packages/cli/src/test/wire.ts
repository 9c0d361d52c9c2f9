import { T0 } from '@callpermit/testing';
import { reply, sendFreeForm, status, userText } from '@callpermit/testing/wire';

// The wire builders moved to the shared test kit (the HTTP service's tests use them too).
export * from '@callpermit/testing/wire';

/** A free-form request inside the customer-service window (T0), sent at T0+10, delivered, then answered at T0+100. */
export function requested(answer: Parameters<typeof reply>[2] | null): string[] {
  const lines = [
    userText('wamid.IN1', T0),
    sendFreeForm('wamid.REQ1', T0 + 10),
    status('wamid.REQ1', 'sent', T0 + 11),
    status('wamid.REQ1', 'delivered', T0 + 12),
  ];
  if (answer) lines.push(reply('wamid.REP1', T0 + 100, answer));
  return lines;
}
