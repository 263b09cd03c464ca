import type { Dataset } from './types.js';
import { scaled } from './types.js';

const FIRST = [
  'Ada',
  'Ben',
  'Chloé',
  'Dmitri',
  'Eun-ji',
  'Farid',
  'Greta',
  'Hiro',
  'Ines',
  'Jonas',
  'Kwame',
  'Lucía',
  'Mei',
  'Nikhil',
  'Olga',
  'Pedro',
];
const LAST = [
  'Okafor',
  'Schmidt',
  'Tanaka',
  'Silva',
  'Novak',
  'Haddad',
  'Larsen',
  'Kowalski',
  'Ivanova',
  'Moreau',
  'Nguyen',
  'Rossi',
];

export const BENCH_ACCOUNTS = 20;
export const BENCH_USERS = 10_000;

/**
 * Accounts 2..N and the users who post reports, read them and receive alerts. Account 1 and the
 * admin (user 1) come from the first start. Bench users have no password (they never log in).
 */
export const identities: Dataset = {
  name: 'identities',
  loads: ({ scale, random, now }) => {
    const accounts = BENCH_ACCOUNTS;
    const users = scaled(BENCH_USERS, scale, 100);
    return [
      {
        table: 'accounts',
        columns: ['id', 'name', 'created_at'],
        count: accounts - 1,
        *rows() {
          for (let id = 2; id <= accounts; id++) yield [id, `Organisation ${id}`, now - 400 * 86_400_000];
        },
      },
      {
        table: 'users',
        columns: [
          'id',
          'account_id',
          'username',
          'first_name',
          'last_name',
          'password_hash',
          'roles',
          'active',
          'created_at',
        ],
        count: users,
        *rows() {
          for (let i = 0; i < users; i++) {
            const id = i + 2;
            const role = i % 50 === 0 ? 'manager' : i % 10 === 0 ? 'analyst' : 'reporter';
            yield [
              id,
              (i % accounts) + 1,
              `user${id}`,
              random.pick(FIRST),
              random.pick(LAST),
              null,
              `["${role}"]`,
              1,
              now - random.int(30, 400) * 86_400_000,
            ];
          }
        },
      },
    ];
  },
};
