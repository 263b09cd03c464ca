#!/usr/bin/env node
import { createReadStream, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import closeWithGrace from 'close-with-grace';
import { generatePassword } from './auth/crypto.js';
import { isRole } from './auth/permissions.js';
import {
  createApiKey,
  createUser,
  deactivateUser,
  findUser,
  issueToken,
  listApiKeys,
  listUsers,
  revokeApiKey,
} from './auth/service.js';
import { rotateInstanceSecrets } from './auth/instance.js';
import { ConfigError, loadConfig, parseDuration, type Config, type RawConfig } from './config/index.js';
import { connect, type DatabaseHandle } from './db/connection.js';
import { migrateToLatest } from './db/migrate.js';
import { AppError } from './http/errors.js';
import { formatFirstStart, prepareDatabase, startServer } from './main.js';
import { importNdjson } from './reports/import.js';
import { BackupError } from './backup/index.js';
import { registerBackupCommands } from './backup/command.js';
import { registerDemoCommand } from './demo/command.js';
import { registerRetentionCommands } from './retention/command.js';
import { registerTrashCommands } from './trash/command.js';
import { toIso } from './shared/time.js';

type Overrides = Partial<Record<keyof RawConfig, string | number | boolean>>;

/** Global flags, each overriding its environment variable. */
function configFrom(command: Command): Config {
  const o = command.optsWithGlobals<{
    databaseUrl?: string;
    dataDir?: string;
    host?: string;
    port?: string;
    logLevel?: string;
  }>();
  const overrides: Overrides = {};
  if (o.databaseUrl !== undefined) overrides.RECAP_DATABASE_URL = o.databaseUrl;
  if (o.dataDir !== undefined) overrides.RECAP_DATA_DIR = o.dataDir;
  if (o.host !== undefined) overrides.RECAP_HOST = o.host;
  if (o.port !== undefined) overrides.RECAP_PORT = o.port;
  if (o.logLevel !== undefined) overrides.RECAP_LOG_LEVEL = o.logLevel;
  return loadConfig(process.env, overrides);
}

/** `recap serve`: runs until SIGINT/SIGTERM, then finishes in-flight requests and closes. */
async function serve(command: Command, demo = false): Promise<void> {
  const config = configFrom(command);
  const server = await startServer(config);
  if (server.firstStart) process.stdout.write(`\n${formatFirstStart(server.firstStart)}\n\n`);
  server.app.log.info({ url: server.url, engine: server.database.engine }, 'Recap is listening');
  if (demo) process.stdout.write(`\nOpen ${server.url}/console/ and sign in as one of the users above.\n\n`);
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) server.app.log.error({ err }, 'shutting down after an error');
    else server.app.log.info({ signal }, 'shutting down');
    await server.close();
  });
}

/** Opens the database for a one-shot command (migrated, first identities created), runs `fn`, closes. */
async function withDatabase<T>(
  command: Command,
  fn: (database: DatabaseHandle, config: Config) => Promise<T>,
): Promise<T> {
  const config = configFrom(command);
  const { database, firstStart } = await prepareDatabase(config);
  if (firstStart) process.stdout.write(`${formatFirstStart(firstStart)}\n\n`);
  try {
    return await fn(database, config);
  } finally {
    await database.close();
  }
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const roleList = (value: string) => {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = roles.find((r) => !isRole(r));
  if (bad !== undefined || roles.length === 0)
    throw new InvalidArgumentError(`roles are a comma-separated list of admin, manager, analyst, reporter`);
  return roles;
};

const duration = (value: string) => {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(none)';
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(keys), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}

export function buildCli(): Command {
  const program = new Command('recap')
    .description(
      'Recap: records and analytics for real-time communication platforms.\nConfiguration comes from RECAP_* environment variables; flags override them.',
    )
    .option('--database-url <url>', 'sqlite:<path> or postgres://… (RECAP_DATABASE_URL)')
    .option('--data-dir <dir>', 'directory for stored files (RECAP_DATA_DIR)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (RECAP_LOG_LEVEL)')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });

  program
    .command('serve', { isDefault: true })
    .description('run the HTTP server (migrates the database and creates the first identities on an empty one)')
    .option('--host <host>', 'address to listen on (RECAP_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (RECAP_PORT, default 8080)')
    .action(async (_opts, command: Command) => serve(command));

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async (_opts, command: Command) => {
      const config = configFrom(command);
      const database = await connect(config.databaseUrl);
      try {
        const applied = await migrateToLatest(database.db, { storageRoot: config.storageRoot });
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await database.close();
      }
    });

  const users = program.command('users').description('manage users');
  users
    .command('create <username>')
    .description('create a user (prints a generated password unless --password is given)')
    .option('--password <password>', 'the password (at least 8 characters)')
    .option('--first-name <name>', 'first name', '')
    .option('--last-name <name>', 'last name', '')
    .option('--roles <roles>', 'comma-separated: admin, manager, analyst, reporter', roleList, ['reporter'])
    .option('--account <id>', 'account id', positiveInt, 1)
    .action(
      async (
        username: string,
        opts: { password?: string; firstName: string; lastName: string; roles: string[]; account: number },
        command: Command,
      ) => {
        await withDatabase(command, async ({ db }) => {
          const password = opts.password ?? generatePassword();
          const user = await createUser(db, {
            accountId: opts.account,
            username,
            password,
            firstName: opts.firstName,
            lastName: opts.lastName,
            roles: opts.roles,
          });
          process.stdout.write(
            `created user ${user.username} (id ${user.id}, account ${user.accountId}, roles ${user.roles.join(',')})\n`,
          );
          if (opts.password === undefined) process.stdout.write(`password: ${password}\n`);
        });
      },
    );
  users
    .command('list')
    .description('list users')
    .option('--account <id>', 'only this account', positiveInt)
    .action(async (opts: { account?: number }, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        const rows = (await listUsers(db, opts.account)).map((u) => ({
          id: u.id,
          account: u.accountId,
          username: u.username,
          name: `${u.firstName} ${u.lastName}`.trim(),
          roles: u.roles.join(','),
          active: u.active ? 'yes' : 'no',
          last_login: u.lastLoginAt ? toIso(u.lastLoginAt) : '-',
        }));
        process.stdout.write(`${table(rows)}\n`);
      });
    });
  users
    .command('token <username>')
    .description('issue an API token for a user (send as Authorization: Bearer, or X-User-Id + X-Auth-Token)')
    .option('--ttl <duration>', 'validity: seconds or 30s, 10m, 6h, 1d', duration, parseDuration('365d'))
    .action(async (username: string, opts: { ttl: number }, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        const user = await findUser(db, username);
        if (!user) throw new AppError('not_found', `user "${username}" not found`);
        if (!user.active) throw new AppError('invalid_params', `user "${username}" is deactivated`);
        const { token, expiresAt } = await issueToken(db, user.id, opts.ttl, 'cli');
        process.stdout.write(`userId: ${user.id}\ntoken: ${token}\nexpires: ${toIso(expiresAt)}\n`);
      });
    });
  users
    .command('deactivate <username>')
    .description('deactivate a user and revoke all their tokens')
    .action(async (username: string, _opts, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        await deactivateUser(db, username);
        process.stdout.write(`deactivated ${username}\n`);
      });
    });

  const keys = program
    .command('keys')
    .description('manage API key pairs (plugNmeet API-KEY / HASH-SIGNATURE, LiveKit webhooks)');
  keys
    .command('create')
    .description('create an API key pair (prints the secret once)')
    .option('--account <id>', 'account id', positiveInt, 1)
    .option('--key <key>', 'the key (default: generated)')
    .addOption(new Option('--secret <secret>', 'the secret, at least 16 characters (default: generated)'))
    .option('--description <text>', 'what the key is for', '')
    .action(async (opts: { account: number; key?: string; secret?: string; description: string }, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        const pair = await createApiKey(db, {
          accountId: opts.account,
          apiKey: opts.key,
          apiSecret: opts.secret,
          description: opts.description,
        });
        process.stdout.write(`API key: ${pair.apiKey}\nAPI secret: ${pair.apiSecret}\naccount: ${pair.accountId}\n`);
      });
    });
  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .action(async (_opts, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        const rows = (await listApiKeys(db)).map((k) => ({
          key: k.api_key,
          account: k.account_id,
          created: toIso(k.created_at),
          revoked: k.revoked_at ? toIso(k.revoked_at) : '-',
          description: k.description,
        }));
        process.stdout.write(`${table(rows)}\n`);
      });
    });
  keys
    .command('revoke <key>')
    .description('revoke an API key')
    .action(async (key: string, _opts, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        await revokeApiKey(db, key);
        process.stdout.write(`revoked ${key}\n`);
      });
    });

  program
    .command('secrets')
    .description(
      'installation secrets (they sign download and upload tokens and report image URLs; no API client holds them)',
    )
    .command('rotate')
    .description(
      'replace the installation secrets: every download token, upload token and image URL issued so far stops working; restart every instance afterwards',
    )
    .action(async (_opts, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        const rotated = await rotateInstanceSecrets(db);
        process.stdout.write(`rotated: ${rotated.join(', ')}\nrestart every Recap instance for it to take effect\n`);
      });
    });

  program
    .command('import <file>')
    .description('import an NDJSON file of reports, reads, alerts, deliveries and opens (all or nothing)')
    .option('--user <username>', 'the user the import acts as (defaults for user_id; account scope)', 'admin')
    .action(async (file: string, opts: { user: string }, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        const user = await findUser(db, opts.user);
        if (!user || !user.active) throw new AppError('not_found', `user "${opts.user}" not found`);
        const size = statSync(file).size;
        let read = 0;
        // Counted in a transform, not a 'data' listener: that would start the flow before the
        // import reads (after its transaction has begun) and lose the first chunks.
        const counted = createReadStream(file).pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              read += chunk.length;
              callback(null, chunk);
            },
          }),
        );
        const tty = process.stderr.isTTY;
        const started = performance.now();
        const result = await importNdjson(
          db,
          { userId: user.id, accountId: user.accountId, roles: user.roles },
          counted,
          (lines) => {
            if (!tty) return;
            const done = size === 0 ? 1 : read / size;
            const bar = '#'.repeat(Math.round(done * 30)).padEnd(30, '.');
            process.stderr.write(`\r[${bar}] ${Math.round(done * 100)}%  ${lines.toLocaleString('en')} lines`);
          },
        );
        if (tty) process.stderr.write('\n');
        const seconds = (performance.now() - started) / 1000;
        process.stdout.write(
          `imported ${result.lines} lines in ${seconds.toFixed(1)} s: ${result.reports} reports, ${result.reads} reads, ${result.alerts} alerts, ${result.deliveries} deliveries, ${result.opens} opens\n`,
        );
      });
    });

  registerDemoCommand(program, { withDatabase, serve });
  registerBackupCommands(program, { withDatabase, configFrom });
  registerTrashCommands(program, { withDatabase });
  registerRetentionCommands(program, { withDatabase });

  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    const known =
      error instanceof ConfigError
        ? `invalid configuration: ${error.message}`
        : error instanceof AppError || error instanceof BackupError
          ? error.message
          : undefined;
    process.stderr.write(`recap: ${known ?? (error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}

await runCli(process.argv);
