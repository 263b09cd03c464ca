import { Type, type Static } from '@sinclair/typebox';

export const LoginBody = Type.Object(
  {
    user: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'Username (Rocket.Chat also accepts an email here)' }),
    ),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { description: 'One of `user`, `username` or `email`, and `password`.' },
);
export type LoginBody = Static<typeof LoginBody>;

/** The user as Rocket.Chat's `/me` describes it, with Recap's `accountId`. */
export const RocketChatUser = Type.Object({
  _id: Type.String({ description: 'The user id (a decimal integer, as a string like Rocket.Chat ids)' }),
  username: Type.String(),
  name: Type.String(),
  type: Type.String(),
  status: Type.String(),
  statusConnection: Type.String(),
  utcOffset: Type.Number(),
  active: Type.Boolean(),
  roles: Type.Array(Type.String()),
  accountId: Type.Integer({ description: 'Recap extension: the account (tenant) the user belongs to' }),
});

export const LoginReply = Type.Object({
  status: Type.Literal('success'),
  data: Type.Object({ userId: Type.String(), authToken: Type.String(), me: RocketChatUser }),
  success: Type.Literal(true),
});

export const LoginFailure = Type.Object({
  status: Type.Literal('error'),
  error: Type.String(),
  message: Type.String(),
  success: Type.Literal(false),
});

export const LogoutReply = Type.Object({
  status: Type.Literal('success'),
  data: Type.Object({ message: Type.String() }),
});

export const MeReply = Type.Composite([RocketChatUser, Type.Object({ success: Type.Literal(true) })]);
