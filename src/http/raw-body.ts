import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/**
 * Replaces a scope's body parsers with one that keeps the exact bytes (signatures are computed over
 * them) and parses JSON without prototype poisoning. A body that is not JSON is not an error yet:
 * authentication must answer first, so the route's hook reports `bodyParseError` afterwards.
 * Chunked bodies arrive here like any other.
 */
export function captureRawJsonBody(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      request.bodyParseError = 'request body is not valid JSON';
      done(null, undefined);
    }
  });
}
