import type { Kysely } from 'kysely';
import { generatePassword } from '../auth/crypto.js';
import type { Role } from '../auth/permissions.js';
import { createAccount, createApiKey, createUser, listUsers, renameAccount, type ApiKeyPair } from '../auth/service.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import { Rand } from '../shared/random.js';
import { backfillDemoSnapshots } from '../statistics/service.js';
import type { FileStorage } from '../storage/files.js';
import { seedReports } from './reports.js';
import { seedMeetings } from './sessions.js';

/**
 * `recap demo`: realistic data for a newcomer to look at, written through Recap's own services
 * (report import, event ingestion, recording registration, subtitles, images), so every counter,
 * file and aggregate is what real traffic would have made. Seeded: the same size gives the same data.
 */

export interface DemoOptions {
  /** 1 is the default size (about 20,000 reports per account); larger multiplies reports and meetings. */
  size: number;
  /** Fill a database that already has data. */
  force: boolean;
  /** One password for every demo user; default: a generated one each, printed once. */
  password?: string | undefined;
  seed?: number;
  now?: number;
  /** Told the stage and how much of it is done (0–1). */
  progress?: (stage: string, done: number) => void;
}

export interface DemoUser {
  account: string;
  username: string;
  roles: Role[];
  password: string;
}

export interface DemoResult {
  accounts: { id: number; name: string }[];
  users: DemoUser[];
  apiKeys: (ApiKeyPair & { accountId: number })[];
  reports: number;
  images: number;
  sessions: number;
  recordings: number;
  snapshots: number;
}

const ACCOUNTS = [
  { name: 'Harbor Logistics', prefix: 'harbor' },
  { name: 'Northwind Field Services', prefix: 'northwind' },
];
const ROLES: [string, Role[]][] = [
  ['admin', ['admin']],
  ['manager', ['manager']],
  ['analyst', ['analyst']],
  ['reporter1', ['reporter']],
  ['reporter2', ['reporter']],
  ['reporter3', ['reporter']],
];

export async function runDemo(db: Kysely<Database>, storage: FileStorage, options: DemoOptions): Promise<DemoResult> {
  // The first start created the admin; anything more means someone's data is here.
  if (!options.force && (await listUsers(db)).length > 1)
    throw new AppError('conflict', 'the database already has data: run `recap demo --force` to add the demo to it');
  const rand = new Rand(options.seed ?? 20_261_201);
  const now = options.now ?? Date.now();
  const progress = options.progress ?? (() => undefined);
  const result: DemoResult = {
    accounts: [],
    users: [],
    apiKeys: [],
    reports: 0,
    images: 0,
    sessions: 0,
    recordings: 0,
    snapshots: 0,
  };
  // A second run (--force) gets fresh usernames.
  const suffix = options.force ? `-${rand.int(1_000_000).toString(36)}` : '';
  for (const [index, spec] of ACCOUNTS.entries()) {
    // On a fresh installation the first demo account is account 1, where the admin lands.
    let account: { id: number; name: string };
    if (index === 0 && !options.force) {
      await renameAccount(db, 1, spec.name);
      account = { id: 1, name: spec.name };
    } else {
      account = await createAccount(db, spec.name);
      result.apiKeys.push(await createApiKey(db, { accountId: account.id, description: 'recap demo' }));
    }
    result.accounts.push({ id: account.id, name: account.name });
    const ids: Record<string, number> = {};
    for (const [name, roles] of ROLES) {
      const username = `${spec.prefix}-${name}${suffix}`;
      const password = options.password ?? generatePassword();
      const first = name.replace(/\d$/, '');
      const user = await createUser(db, {
        accountId: account.id,
        username,
        password,
        firstName: `${first[0]!.toUpperCase()}${first.slice(1)} ${name.match(/\d$/)?.[0] ?? ''}`.trim(),
        lastName: spec.name.split(' ')[0]!,
        roles,
      });
      ids[name] = user.id;
      result.users.push({ account: spec.name, username, roles, password });
    }
    const manager = { userId: ids.manager!, accountId: account.id, roles: ['manager'] as Role[] };
    const reporters = [ids.reporter1!, ids.reporter2!, ids.reporter3!];
    const seeded = await seedReports(
      db,
      storage,
      rand,
      { manager, reporters, readers: [...reporters, ids.manager!] },
      {
        reports: Math.round(20_000 * options.size * (index === 0 ? 1 : 0.5)),
        images: 24,
        now,
        progress: (done) => progress(`${spec.name}: reports`, done),
      },
    );
    result.reports += seeded.reports;
    result.images += seeded.images;
    const meetings = await seedMeetings(db, storage, rand, account.id, {
      sessionsPerRoom: Math.max(1, Math.round(6 * options.size)),
      now,
      progress: (done) => progress(`${spec.name}: meetings`, done),
    });
    result.sessions += meetings.sessions;
    result.recordings += meetings.recordings;
  }
  progress('statistics', 0);
  result.snapshots = await backfillDemoSnapshots(db, 365, now);
  progress('statistics', 1);
  return result;
}
