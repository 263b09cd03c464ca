import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { unauthorized } from '../http/errors.js';
import { reportsErrorResponses } from '../http/schemas.js';
import { requireSameOrigin, requireUser, SESSION_COOKIE } from './hooks.js';
import { getAccount, login, logout, type AuthUser, type PublicUser } from './service.js';

const ConsoleUser = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  account_name: Type.String(),
  username: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  roles: Type.Array(Type.String()),
});

const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});

type Who = Pick<PublicUser, 'id' | 'accountId' | 'username' | 'firstName' | 'lastName'> & { roles: readonly string[] };
const fromAuthUser = (u: AuthUser): Who => ({ ...u, id: u.userId });

/**
 * The console's sign-in: a session cookie (HttpOnly, SameSite=Strict, Secure over https) holding a
 * user token that page scripts never see. Every user-authenticated route accepts the cookie; the
 * plugNmeet routes never do. Repeated failures answer 429 (auth/login-throttle.ts).
 */
export const consoleAuthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['console'];
  const describe = async (u: Who) => ({
    id: u.id,
    account_id: u.accountId,
    account_name: (await getAccount(app.db, u.accountId))?.name ?? '',
    username: u.username,
    first_name: u.firstName,
    last_name: u.lastName,
    roles: [...u.roles],
  });

  app.post(
    '/api/v4/console/login',
    {
      schema: {
        tags,
        summary: 'Sign in to the console: sets the HttpOnly session cookie',
        body: LoginBody,
        response: { 200: ConsoleUser, ...reportsErrorResponses, 429: reportsErrorResponses[400] },
      },
    },
    async (request, reply) => {
      requireSameOrigin(request);
      const { username, password } = request.body;
      const ttlMs = app.config.consoleSessionTtlMs;
      const result = await app.loginThrottle.attempt(request.ip, username, () =>
        login(app.db, username, password, ttlMs, 'console'),
      );
      if (!result) throw unauthorized('wrong username or password');
      reply.setCookie(SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: '/',
        maxAge: Math.floor(ttlMs / 1000),
      });
      return describe(result.user);
    },
  );

  app.post(
    '/api/v4/console/logout',
    {
      preHandler: requireUser,
      schema: { tags, summary: 'Sign out: ends the session and clears its cookie', response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await logout(app.db, request.user!.tokenId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v4/console/me',
    {
      preHandler: requireUser,
      schema: {
        tags,
        summary: 'The signed-in user, with the account’s name',
        response: { 200: ConsoleUser, ...reportsErrorResponses },
      },
    },
    async (request) => describe(fromAuthUser(request.user!)),
  );
};
