import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { forbidden, notFound } from '../http/errors.js';
import { bearerSecurity, IdParams, reportsErrorResponses } from '../http/schemas.js';
import { toIso } from '../shared/time.js';
import { Account, AccountBody, User, UserBody, UserName, UserNamesQuery, UsersQuery } from './accounts.schemas.js';
import { actingAccountId, requirePermission, requireUser } from './hooks.js';
import { canAccessAccount } from './permissions.js';
import {
  createAccount,
  createUser,
  getAccount,
  getUser,
  listAccounts,
  listUsers,
  userNamesInAccount,
  type PublicUser,
} from './service.js';

const userJson = (u: PublicUser) => ({
  id: u.id,
  account_id: u.accountId,
  username: u.username,
  first_name: u.firstName,
  last_name: u.lastName,
  roles: u.roles,
  active: u.active,
  created_at: toIso(u.createdAt),
});

/** `/api/v4/accounts` and `/api/v4/users`: tenants and their users (Reports API v4 family). */
export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireUser);
  const tags = ['reports v4: identities'];

  app.post(
    '/api/v4/accounts',
    {
      preHandler: requirePermission('manage-accounts'),
      schema: {
        tags,
        summary: 'Create an account (admin)',
        security: bearerSecurity,
        body: AccountBody,
        response: { 201: Account, ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      const account = await createAccount(app.db, request.body.name);
      return reply.code(201).send({ id: account.id, name: account.name, created_at: toIso(account.createdAt) });
    },
  );

  app.get(
    '/api/v4/accounts',
    {
      preHandler: requirePermission('manage-accounts'),
      schema: {
        tags,
        summary: 'Every account (admin)',
        security: bearerSecurity,
        response: { 200: Type.Array(Account), ...reportsErrorResponses },
      },
    },
    async () => (await listAccounts(app.db)).map((a) => ({ id: a.id, name: a.name, created_at: toIso(a.createdAt) })),
  );

  app.get(
    '/api/v4/accounts/:id',
    {
      schema: {
        tags,
        summary: 'An account (own account, or any for admins)',
        security: bearerSecurity,
        params: IdParams,
        response: { 200: Account, ...reportsErrorResponses },
      },
    },
    async (request) => {
      const account = canAccessAccount(request.user!, request.params.id)
        ? await getAccount(app.db, request.params.id)
        : undefined;
      if (!account) throw notFound('account not found');
      return { id: account.id, name: account.name, created_at: toIso(account.createdAt) };
    },
  );

  app.post(
    '/api/v4/users',
    {
      preHandler: requirePermission('manage-users'),
      schema: {
        tags,
        summary: 'Create a user (admin; manager within own account)',
        security: bearerSecurity,
        body: UserBody,
        response: { 201: User, ...reportsErrorResponses, 409: reportsErrorResponses[400] },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const accountId = await actingAccountId(request, body.account_id);
      // A manager may not mint admins: that would escape the account boundary.
      if (body.roles.includes('admin') && !request.user!.roles.includes('admin'))
        throw forbidden('only an admin may grant the admin role');
      const user = await createUser(app.db, {
        accountId,
        username: body.username,
        password: body.password,
        firstName: body.first_name,
        lastName: body.last_name,
        roles: body.roles,
      });
      return reply.code(201).send(userJson(user));
    },
  );

  app.get(
    '/api/v4/users',
    {
      preHandler: requirePermission('manage-users'),
      schema: {
        tags,
        summary: 'Users of the caller’s account (admins: any account)',
        security: bearerSecurity,
        querystring: UsersQuery,
        response: { 200: Type.Array(User), ...reportsErrorResponses },
      },
    },
    async (request) =>
      (await listUsers(app.db, await actingAccountId(request, request.query.account_id))).map(userJson),
  );

  app.get(
    '/api/v4/users/names',
    {
      preHandler: requirePermission('view-analytics'),
      schema: {
        tags,
        summary: 'Names of users of the account, by id (for readers of analytics such as reports_per_user)',
        security: bearerSecurity,
        querystring: UserNamesQuery,
        response: { 200: Type.Array(UserName), ...reportsErrorResponses },
      },
    },
    async (request) =>
      userNamesInAccount(
        app.db,
        await actingAccountId(request, request.query.account_id),
        request.query.ids.split(',').map(Number),
      ),
  );

  app.get(
    '/api/v4/users/:id',
    {
      schema: {
        tags,
        summary: 'A user of the caller’s account',
        security: bearerSecurity,
        params: IdParams,
        response: { 200: User, ...reportsErrorResponses },
      },
    },
    async (request) => {
      const user = await getUser(app.db, request.params.id);
      // Another account's user answers exactly like a missing one.
      if (!user || !canAccessAccount(request.user!, user.accountId)) throw notFound('user not found');
      return userJson(user);
    },
  );
};
