import { Type, type Static } from '@sinclair/typebox';
import { ActingAccountId, IsoTimestamp } from '../http/schemas.js';
import { StringEnum } from '../shared/schema.js';
import { ROLES } from './permissions.js';
import { MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from './service.js';

export const AccountBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });

export const Account = Type.Object({ id: Type.Integer(), name: Type.String(), created_at: IsoTimestamp });

export const UserBody = Type.Object({
  account_id: Type.Optional(Type.Integer({ minimum: 1, description: 'Admins only; defaults to the caller’s account' })),
  username: Type.String({ pattern: USERNAME_PATTERN }),
  password: Type.Optional(
    Type.String({
      minLength: MIN_PASSWORD_LENGTH,
      maxLength: 1024,
      description: 'Omit for users who only get tokens from `recap users token`',
    }),
  ),
  first_name: Type.String({ maxLength: 200 }),
  last_name: Type.String({ maxLength: 200 }),
  roles: Type.Array(StringEnum([...ROLES]), { minItems: 1, maxItems: ROLES.length, uniqueItems: true }),
});
export type UserBody = Static<typeof UserBody>;

export const User = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  username: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  roles: Type.Array(Type.String()),
  active: Type.Boolean(),
  created_at: IsoTimestamp,
});

export const UsersQuery = Type.Object({ account_id: Type.Optional(Type.Integer({ minimum: 1 })) });

export const UserNamesQuery = Type.Object({
  account_id: ActingAccountId,
  ids: Type.String({
    pattern: '^[0-9]{1,15}(,[0-9]{1,15}){0,199}$',
    description: 'Comma-separated user ids, at most 200',
  }),
});
export const UserName = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
});
