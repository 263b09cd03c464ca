import type { Kysely } from 'kysely';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { ApiClient, AuthUser } from '../auth/service.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/schema.js';
import type { FileStorage } from '../storage/files.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Marks a read-only route whose cached reads share one version read per request
     * (db/read-cache.ts, RequestVersions): the scopes it will likely need, from the request alone.
     */
    likelyScopes?: (request: FastifyRequest) => readonly string[];
  }
  interface FastifyInstance {
    db: Kysely<Database>;
    config: Config;
    storage: FileStorage;
    /** Failed logins per address and username (console and Rocket.Chat login). */
    loginThrottle: LoginThrottle;
  }
  interface FastifyRequest {
    /** The exact request body bytes, in scopes that verify body signatures (plugNmeet, webhooks). */
    rawBody: Buffer | null;
    /** Set when the body was not valid JSON; reported after authentication. */
    bodyParseError: string | null;
    /** The user behind a Rocket.Chat or Bearer token, once a user auth hook has run. */
    user: AuthUser | null;
    /** The API key pair behind a signed server-to-server call. */
    apiClient: ApiClient | null;
    /**
     * Set while a read-only request runs as the identity its credential last had: resolves to
     * undefined once confirmed, or to the error to answer instead (auth/credential-speculation.ts).
     */
    credentialConfirmation: Promise<Error | undefined> | null;
  }
}
