import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RocketChatError, rocketChatSecurity } from '../http/schemas.js';
import { requireUser } from './hooks.js';
import { LoginBody, LoginFailure, LoginReply, LogoutReply, MeReply } from './rocketchat.schemas.js';
import { login, logout, type PublicUser } from './service.js';

const UNAUTHORIZED_LOGIN = { status: 'error', error: 'Unauthorized', message: 'Unauthorized', success: false } as const;

function toRocketChatUser(
  user: Pick<PublicUser, 'id' | 'username' | 'firstName' | 'lastName' | 'accountId'> & { roles: readonly string[] },
) {
  return {
    _id: String(user.id),
    username: user.username,
    name: [user.firstName, user.lastName].filter(Boolean).join(' ') || user.username,
    type: 'user',
    status: 'online',
    statusConnection: 'online',
    utcOffset: 0,
    active: true,
    roles: [...user.roles],
    accountId: user.accountId,
  };
}

/** `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`: Rocket.Chat's REST login. */
export const rocketChatAuthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const security = rocketChatSecurity;

  app.post(
    '/api/v1/login',
    {
      schema: {
        tags: ['rocket.chat'],
        summary: 'Log in with username and password; returns userId and authToken',
        body: LoginBody,
        response: { 200: LoginReply, 400: RocketChatError, 401: LoginFailure, 429: RocketChatError },
      },
    },
    async (request, reply) => {
      const { user, username, email, password } = request.body;
      const name = user ?? username ?? email;
      const result = name
        ? await app.loginThrottle.attempt(request.ip, name, () =>
            login(app.db, name, password, app.config.loginTokenTtlMs),
          )
        : undefined;
      if (!result) return reply.code(401).send(UNAUTHORIZED_LOGIN);
      return {
        status: 'success' as const,
        data: { userId: String(result.user.id), authToken: result.token, me: toRocketChatUser(result.user) },
        success: true as const,
      };
    },
  );

  app.post(
    '/api/v1/logout',
    {
      preHandler: requireUser,
      schema: {
        tags: ['rocket.chat'],
        summary: 'End the session of the token used',
        security,
        response: { 200: LogoutReply, 401: RocketChatError },
      },
    },
    async (request) => {
      await logout(app.db, request.user!.tokenId);
      return { status: 'success' as const, data: { message: "You've been logged out!" } };
    },
  );

  app.get(
    '/api/v1/me',
    {
      preHandler: requireUser,
      schema: {
        tags: ['rocket.chat'],
        summary: 'The logged-in user',
        security,
        response: { 200: MeReply, 401: RocketChatError },
      },
    },
    async (request) => ({
      ...toRocketChatUser({ ...request.user!, id: request.user!.userId }),
      success: true as const,
    }),
  );
};
