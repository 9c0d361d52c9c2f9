// Meta's Graph API error object (reference §7), for answers callpermit gives in Meta's place: a refusal of the
// guard, and the gateway's own errors (authentication, bad identifiers, upstream down), so a client written
// for Meta reads every error the same way.
import { ErrorCode, type Instant, type Refusal } from '@callpermit/core';

export interface GraphErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly code: number;
    readonly error_data?: { readonly messaging_product: 'whatsapp'; readonly details: string };
    readonly fbtrace_id: string;
  };
}

/** An HTTP status and the Graph error body to answer with. */
export interface GraphErrorResponse {
  readonly status: number;
  readonly body: GraphErrorBody;
}

/**
 * The HTTP status Meta answers each refusal with (reference §7): 138000 calling not enabled and 138006 no
 * approved permission are 401; the limits, the permanent permission and the closed window are 400.
 */
export const REFUSAL_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.callingDisabled]: 401,
  [ErrorCode.noPermission]: 401,
  [ErrorCode.requestLimit]: 400,
  [ErrorCode.connectedCallLimit]: 400,
  [ErrorCode.permanentPermissionExists]: 400,
  [ErrorCode.outsideCustomerServiceWindow]: 400,
};

/** A Graph-style error: `details`, when given, goes into `error_data` as Meta's WhatsApp errors carry it. */
export function graphError(
  status: number,
  code: number,
  message: string,
  fbtraceId: string,
  options: { readonly type?: string; readonly details?: string } = {},
): GraphErrorResponse {
  return {
    status,
    body: {
      error: {
        message,
        type: options.type ?? 'OAuthException',
        code,
        ...(options.details === undefined
          ? {}
          : { error_data: { messaging_product: 'whatsapp', details: options.details } }),
        fbtrace_id: fbtraceId,
      },
    },
  };
}

/** ISO-8601 in UTC, to the second: how `details` names an instant besides its Unix seconds. */
function isoSeconds(at: Instant): string {
  return new Date(at * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Meta's answer to a refused permission request or call: the status and error object Meta gives for that
 * code. When time alone lifts the refusal (the limits: 138009, 138012), `error_data.details` says when the next
 * one is allowed, as Meta's 138012 does.
 */
export function refusalError(refusal: Refusal, fbtraceId: string): GraphErrorResponse {
  const details =
    refusal.retryAt === undefined
      ? refusal.title
      : `${refusal.title}; the next one is allowed at ${isoSeconds(refusal.retryAt)} (${refusal.retryAt})`;
  return graphError(
    REFUSAL_STATUS[refusal.code],
    refusal.code,
    `(#${refusal.code}) ${refusal.title}`,
    fbtraceId,
    {
      details,
    },
  );
}
