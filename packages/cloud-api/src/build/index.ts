// Builders of Meta's wire bodies: webhook payloads and Graph API exchanges as capture lines.
export {
  type ApiCallLine,
  type CallStart,
  type CaptureLineObject,
  callPermissionsCall,
  createTemplateCall,
  type GraphError,
  graphErrorBody,
  type PermissionRequestSend,
  permissionRequestCall,
  startCallCall,
  type WebhookLine,
  webhookLine,
} from './apiCalls.js';
export { type BusinessNumber, isoInstant } from './number.js';
export {
  type CallDirectionWire,
  type CallEventItem,
  type CallStatusItem,
  type CallTerminateItem,
  callbackSettingWebhook,
  callConnectWebhook,
  callStatusWebhook,
  callTerminateWebhook,
  type MessageStatusItem,
  messageStatusWebhook,
  type PermissionReplyItem,
  permissionReplyWebhook,
  type UserMessageItem,
  userMessageWebhook,
  type WebhookBody,
  webhookBody,
} from './webhooks.js';
