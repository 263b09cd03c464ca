/**
 * Errors that carry a meaning every API family renders in its own envelope (see the family error
 * handlers in src/http/families.ts). Services throw these; routes never build error bodies by hand.
 */
export type ErrorKind =
  | 'invalid_params'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests';

export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid_params: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
};

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Family-specific detail, e.g. a Rocket.Chat `errorType`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const invalidParams = (message: string, details?: Record<string, unknown>) =>
  new AppError('invalid_params', message, details);
export const notFound = (message = 'not found') => new AppError('not_found', message);
/** Whether `error` is a not-found answer (e.g. a row another writer deleted first). */
export const isNotFound = (error: unknown): boolean => error instanceof AppError && error.kind === 'not_found';
export const forbidden = (message = 'forbidden') => new AppError('forbidden', message);
export const unauthorized = (message = 'unauthorized') => new AppError('unauthorized', message);
export const conflict = (message: string) => new AppError('conflict', message);

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/** Turns any thrown value into an AppError, or undefined for a server fault (5xx). */
export function classifyError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const e = error as FastifyLikeError;
  // PostgreSQL's class 22, data exception (a value out of range, not valid text, …): input that
  // validation let through is still the caller's error, not a server fault.
  if (
    typeof e?.code === 'string' &&
    /^22[0-9A-Z]{3}$/.test(e.code) &&
    (error as { severity?: unknown }).severity !== undefined
  ) {
    return invalidParams(`a value cannot be stored: ${e.message}`);
  }
  if (e?.validation)
    return invalidParams(describeValidation(e), { validation: true, ajvMessage: e.validation[0]?.message });
  switch (e?.statusCode) {
    case 400:
      return invalidParams(e.message);
    case 401:
      return unauthorized(e.message);
    case 404:
      return notFound(e.message);
    case 413:
      return new AppError('payload_too_large', 'request body is too large');
    case 415:
      return new AppError('unsupported_media_type', e.message);
    default:
      return e?.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? invalidParams(e.message) : undefined;
  }
}

/** "body.limit must be integer": the field path and ajv's message, first error only. */
function describeValidation(e: FastifyLikeError): string {
  const first = e.validation?.[0];
  if (!first) return e.message;
  const where = [e.validationContext, first.instancePath?.replace(/^\//, '').replaceAll('/', '.')]
    .filter(Boolean)
    .join('.');
  const missing = first.params?.missingProperty;
  if (missing) return `${where ? `${where}.` : ''}${String(missing)} is required`;
  const extra = first.params?.additionalProperty;
  if (extra) return `${where ? `${where}.` : ''}${String(extra)} is not allowed`;
  return `${where} ${first.message ?? 'is invalid'}`.trim();
}
