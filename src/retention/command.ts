import { InvalidArgumentError, type Command } from 'commander';
import type { CliHelpers } from '../cli-helpers.js';
import { LocalFileStorage } from '../storage/files.js';
import { runJanitor } from './janitor.js';
import {
  getRetention,
  putRetention,
  RETENTION_KINDS,
  type AccountRetentionDays,
  type RetentionView,
} from './settings.js';

const account = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

/** Days, or `default` (the account follows the installation's default again; commander turns null into ''). */
const days = (value: string): number | 'default' => {
  if (value === 'default') return value;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 36500)
    throw new InvalidArgumentError('days from 0 to 36500, or "default"');
  return n;
};

const option = (kind: string) => `--${kind.replaceAll('_', '-')} <days>`;

function print(view: RetentionView): void {
  process.stdout.write(`account ${view.account_id}\n`);
  for (const kind of RETENTION_KINDS) {
    const effective = view.effective[kind];
    const source = view.account[kind] === null ? 'default' : 'account';
    process.stdout.write(`  ${kind.padEnd(16)} ${effective === 0 ? 'forever' : `${effective} days`} (${source})\n`);
  }
}

/** `recap retention show|set|run`. */
export function registerRetentionCommands(program: Command, { withDatabase }: Pick<CliHelpers, 'withDatabase'>): void {
  const retention = program
    .command('retention')
    .description('how long each kind of data is kept (RECAP_RETENTION_*_DAYS, and per account)');
  retention
    .command('show')
    .description('an account’s retention periods')
    .option('--account <id>', 'the account (default 1)', account, 1)
    .action(async (opts: { account: number }, command: Command) => {
      await withDatabase(command, async ({ db }, config) =>
        print(await getRetention(db, opts.account, config.retentionDays)),
      );
    });
  const set = retention
    .command('set')
    .description('set an account’s periods in days (0: forever; "default": the installation’s)')
    .option('--account <id>', 'the account (default 1)', account, 1);
  for (const kind of RETENTION_KINDS) set.option(option(kind), `days ${kind.replaceAll('_', ' ')} are kept`, days);
  set.action(async (opts: { account: number } & Partial<Record<string, number | 'default'>>, command: Command) => {
    const changes: Partial<AccountRetentionDays> = {};
    for (const kind of RETENTION_KINDS) {
      const value = opts[kind.replace(/_(.)/g, (_, c: string) => c.toUpperCase())];
      if (value !== undefined) changes[kind] = value === 'default' ? null : value;
    }
    if (Object.keys(changes).length === 0) throw new InvalidArgumentError('name at least one period to set');
    await withDatabase(command, async ({ db }, config) =>
      print(await putRetention(db, opts.account, changes, config.retentionDays)),
    );
  });
  retention
    .command('run')
    .description('run the janitor once now: retention, the trash and old statistics snapshots')
    .action(async (_opts, command: Command) => {
      await withDatabase(command, async ({ db }, config) => {
        const run = await runJanitor(db, new LocalFileStorage(config.storageRoot), {
          retentionDays: config.retentionDays,
          trashDays: config.trashDays,
          statsRetentionDays: config.statsRetentionDays,
        });
        for (const [kind, n] of Object.entries(run)) process.stdout.write(`${kind.padEnd(16)} ${n} removed\n`);
      });
    });
}
