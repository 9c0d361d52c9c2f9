// The public surface of @callpermit/cloud-api: Meta's wire formats (webhook bodies, logged Graph API calls,
// capture files) and the policy file, turned into core facts and a core PolicyBook.

export { type GraphAttempt, type GraphRequest, graphAttempt } from './apiCall.js';
export * from './build/index.js';
export { readCaptureLines } from './capture.js';
export {
  type GraphErrorBody,
  type GraphErrorResponse,
  graphError,
  REFUSAL_STATUS,
  refusalError,
} from './graphError.js';
export { parseInstant } from './instant.js';
export type { LineOutcome } from './outcome.js';
export { PolicyFileError, parsePolicyFile } from './policyFile.js';
export { type RefusedCall, refusedCall } from './refusedCall.js';
export { verifyWebhookSignature, webhookSignature } from './signature.js';
export { Translator, type TranslatorOptions } from './translator.js';
export { issueReason } from './wireRefusal.js';
