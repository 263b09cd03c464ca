import type { FastifyInstance } from 'fastify';
import { requireSignedApiCall } from '../auth/hooks.js';
import { useFamilyErrors } from './families.js';
import { captureRawJsonBody } from './raw-body.js';

/**
 * Prepares a scope for plugNmeet server-to-server routes (`POST /auth/...`): raw-body capture,
 * API-KEY + HASH-SIGNATURE verification before validation, and plugNmeet's error envelope.
 */
export function usePlugnmeetFamily(scope: FastifyInstance): void {
  useFamilyErrors(scope, 'plugnmeet');
  captureRawJsonBody(scope);
  scope.addHook('preValidation', requireSignedApiCall);
}
