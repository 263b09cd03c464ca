import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientWentAway } from './connections.js';
import { classifyError, invalidParams, STATUS_OF_KIND, type AppError } from './errors.js';

/**
 * Each public API family answers errors in its own wire format. A family's routes are registered
 * inside a scope that installs its handler, so a route never formats an error itself.
 */
export type Family = 'plugnmeet' | 'rocketchat' | 'reports' | 'system';

type Render = (error: AppError) => { status: number; body: unknown };

const PLUGNMEET_CODES: Partial<Record<AppError['kind'], string>> = {
  not_found: 'NOT_FOUND',
  unauthorized: 'INVALID_TOKEN_OR_SIGNATURE',
};

/** Rocket.Chat's fixed body for a missing or invalid login token. */
export const ROCKETCHAT_UNAUTHORIZED = {
  success: false,
  error: 'You must be logged in to do this.',
  status: 'error',
  message: 'You must be logged in to do this.',
} as const;

const RENDERERS: Record<Family, Render> = {
  // plugNmeet: business errors are HTTP 200 with status:false (clients ignore HTTP codes).
  plugnmeet: (e) => ({
    status: e.kind === 'unauthorized' ? 401 : e.kind === 'payload_too_large' ? 413 : 200,
    body: {
      status: false,
      msg: e.message,
      status_code:
        typeof e.details.statusCode === 'string'
          ? e.details.statusCode
          : (PLUGNMEET_CODES[e.kind] ?? 'INVALID_PARAMETERS'),
    },
  }),
  rocketchat: (e) => {
    if (e.kind === 'unauthorized') return { status: 401, body: ROCKETCHAT_UNAUTHORIZED };
    // Rocket.Chat answers a missing permission with 400 error-not-allowed, not 403.
    if (e.kind === 'forbidden') return { status: 400, body: { success: false, error: 'error-not-allowed' } };
    if (e.kind === 'not_found') return { status: 404, body: { success: false, error: e.message } };
    if (e.kind === 'too_many_requests')
      return { status: 429, body: { success: false, error: `${e.message} [error-too-many-requests]` } };
    const errorType = typeof e.details.errorType === 'string' ? e.details.errorType : 'error-invalid-params';
    // Rocket.Chat's own validation answers carry ajv's bare message ("must be number").
    const message = typeof e.details.ajvMessage === 'string' ? e.details.ajvMessage : e.message;
    const body: Record<string, unknown> = { success: false, errorType, error: message };
    if (e.details.helperMethod) body.details = { helperMethod: e.details.helperMethod };
    return { status: e.kind === 'payload_too_large' ? 413 : 400, body };
  },
  reports: (e) => ({ status: STATUS_OF_KIND[e.kind], body: { error: e.message, code: e.kind } }),
  system: (e) => ({ status: STATUS_OF_KIND[e.kind], body: { error: e.message, code: e.kind } }),
};

const SERVER_FAULT: Record<Family, unknown> = {
  plugnmeet: { status: false, msg: 'internal server error', status_code: 'INTERNAL_SERVER_ERROR' },
  rocketchat: { success: false, error: 'Internal server error' },
  reports: { error: 'internal server error', code: 'internal_error' },
  system: { error: 'internal server error', code: 'internal_error' },
};

/** The status, body and headers that answer `error` in a family's envelope (server faults are logged). */
export function errorReply(
  family: Family,
  error: unknown,
  request: FastifyRequest,
): { status: number; body: unknown; headers: Record<string, string> } {
  const known = classifyError(error);
  if (!known && clientWentAway(error)) {
    // Nobody is left to answer: an aborted upload or a reset is the client's doing, not a fault.
    request.log.info({ err: error }, 'client went away before the answer');
    return {
      status: 400,
      body: RENDERERS[family](invalidParams('the client closed the connection')).body,
      headers: {},
    };
  }
  if (!known) {
    request.log.error({ err: error }, 'request failed');
    return { status: 500, body: SERVER_FAULT[family], headers: {} };
  }
  const { status, body } = RENDERERS[family](known);
  const retryAfter = known.details.retryAfter;
  return { status, body, headers: typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {} };
}

export function sendError(family: Family, error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, headers } = errorReply(family, error, request);
  return reply.code(status).headers(headers).type('application/json').send(body);
}

/** Installs a family's error envelope on a scope. */
export function useFamilyErrors(scope: FastifyInstance, family: Family): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => sendError(family, error, request, reply));
}

/** Which family a URL belongs to, for requests that matched no route. */
export function familyOfUrl(url: string): Family {
  if (
    url.startsWith('/auth/') ||
    url.startsWith('/download/') ||
    url.startsWith('/upload/') ||
    url.startsWith('/webhooks/')
  )
    return 'plugnmeet';
  if (url.startsWith('/api/v1/')) return 'rocketchat';
  if (url.startsWith('/api/v4/')) return 'reports';
  return 'system';
}
