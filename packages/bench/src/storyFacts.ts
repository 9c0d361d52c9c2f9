import type { Pair, PairFact, SourceRef } from '@callpermit/core';
import type { StoryEvent } from './story.js';

const SOURCE: SourceRef = { kind: 'test', ref: 'bench' };

/**
 * The core facts a story event amounts to, as a translator of Meta's payloads would produce them: a status
 * of any message becomes a request fact (tentative until something names the message a request), a
 * terminate with start_time a connected call, a terminate without one an unanswered call.
 */
export function storyFacts(event: StoryEvent, pair: Pair, out: PairFact[]): void {
  const at = event.at;
  const source = SOURCE;
  switch (event.type) {
    case 'user_message':
      out.push({ type: 'UserMessaged', at, key: `msg:${event.id}`, source, pair, messageId: event.id });
      return;
    case 'message_send':
    case 'call_api':
      return;
    case 'request_send':
      if (event.refusedWith === undefined)
        out.push({
          type: 'RequestSent',
          at,
          key: `send:${event.id}`,
          source,
          pair,
          requestId: event.id,
          channel: event.channel,
          tentative: false,
        });
      return;
    case 'status': {
      const key = `status:${event.id}:${event.status}`;
      const requestId = event.id;
      if (event.status === 'sent')
        out.push({
          type: 'RequestSent',
          at,
          key,
          source,
          pair,
          requestId,
          channel: 'unknown',
          tentative: true,
        });
      else if (event.status === 'delivered')
        out.push({ type: 'RequestDelivered', at, key, source, pair, requestId });
      else if (event.status === 'read') out.push({ type: 'RequestRead', at, key, source, pair, requestId });
      else
        out.push({
          type: 'RequestFailed',
          at,
          key,
          source,
          pair,
          requestId,
          ...(event.errorCode === undefined ? {} : { errorCode: event.errorCode }),
        });
      return;
    }
    case 'reply': {
      const key = `reply:${event.id}`;
      const r = event.reply;
      switch (r.scenario) {
        case 'temporary_from_request':
          out.push({
            type: 'PermissionGranted',
            at,
            key,
            source,
            pair,
            permanent: false,
            expiresAt: r.expiresAt,
            via: 'request',
            requestId: r.requestId,
          });
          return;
        case 'permanent_from_request':
          out.push({
            type: 'PermissionGranted',
            at,
            key,
            source,
            pair,
            permanent: true,
            via: 'request',
            requestId: r.requestId,
          });
          return;
        case 'permanent_from_profile':
          out.push({ type: 'PermissionGranted', at, key, source, pair, permanent: true, via: 'profile' });
          return;
        case 'decline':
          out.push({ type: 'PermissionDeclined', at, key, source, pair, requestId: r.requestId });
          return;
        case 'callback_grant':
          out.push({
            type: 'PermissionGranted',
            at,
            key,
            source,
            pair,
            permanent: false,
            expiresAt: r.expiresAt,
            via: 'callback',
            callId: r.callId,
          });
          return;
        case 'automatic_revoke':
          out.push({ type: 'PermissionRevoked', at, key, source, pair, by: 'automatic' });
          return;
        case 'user_revoke':
          out.push({ type: 'PermissionRevoked', at, key, source, pair, by: 'user' });
          return;
      }
      return;
    }
    case 'call_connect':
      if (event.direction === 'USER_INITIATED')
        out.push({
          type: 'UserCalled',
          at,
          key: `call:${event.callId}:connect`,
          source,
          pair,
          callId: event.callId,
        });
      return;
    case 'call_status': {
      const key = `call:${event.callId}:${event.status}`;
      const callId = event.callId;
      if (event.status === 'ACCEPTED')
        out.push({
          type: 'CallConnected',
          at,
          key,
          source,
          pair,
          callId,
          direction: 'business_initiated',
          evidence: 'accepted',
        });
      else if (event.status === 'REJECTED') out.push({ type: 'CallRejected', at, key, source, pair, callId });
      return;
    }
    case 'call_terminate': {
      const key = `call:${event.callId}:terminate`;
      const callId = event.callId;
      if (event.startTime !== undefined)
        out.push({
          type: 'CallConnected',
          at: event.startTime,
          key,
          source,
          pair,
          callId,
          direction: event.direction === 'BUSINESS_INITIATED' ? 'business_initiated' : 'user_initiated',
          evidence: 'start_time',
        });
      else if (event.direction === 'BUSINESS_INITIATED')
        out.push({ type: 'CallUnanswered', at, key, source, pair, callId });
      return;
    }
    case 'permissions_get': {
      const v = event.view;
      out.push({
        type: 'PermissionObserved',
        at,
        key: `observed:${pair.user}:${at}`,
        source,
        pair,
        status: v.status,
        ...(v.expiresAt === undefined ? {} : { expiresAt: v.expiresAt }),
        usage: [
          {
            action: 'send_call_permission_request',
            periodSeconds: 86400,
            maxAllowed: 1,
            currentUsage: v.requests24h,
          },
          {
            action: 'send_call_permission_request',
            periodSeconds: 604800,
            maxAllowed: 2,
            currentUsage: v.requests7d,
          },
          { action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: v.calls24h },
        ],
      });
      return;
    }
  }
}
