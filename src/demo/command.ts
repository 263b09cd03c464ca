import { InvalidArgumentError, Option, type Command } from 'commander';
import { listUsers } from '../auth/service.js';
import type { CliHelpers } from '../cli-helpers.js';
import { LocalFileStorage } from '../storage/files.js';
import { runDemo, type DemoResult } from './index.js';

function formatDemo(r: DemoResult, seconds: number, passwordGiven: boolean): string {
  const lines = [
    `Demo data written in ${seconds.toFixed(1)} s: ${r.reports.toLocaleString('en')} reports, ${r.images} images, ${r.sessions} meetings with analytics files and recordings, ${r.snapshots} statistics snapshots.`,
    '',
    'Users (the admin from the first start sees every account):',
    ...r.users.map(
      (u) =>
        `  ${u.username.padEnd(24)} ${u.roles.join(',').padEnd(9)} ${passwordGiven ? '(--password)' : u.password}   ${u.account}`,
    ),
    '',
    'API keys for plugNmeet-style calls (account 1 keeps the key of the first start):',
    ...r.apiKeys.map((k) => `  account ${k.accountId}: ${k.apiKey}  secret ${k.apiSecret}`),
  ];
  if (!passwordGiven) lines.push('', 'Store the passwords now: they are not shown again.');
  return `${lines.join('\n')}\n`;
}

/** `recap demo`: fills the database (and with --serve, serves it). */
export function registerDemoCommand(
  program: Command,
  { withDatabase, serve }: Pick<CliHelpers, 'withDatabase' | 'serve'>,
): void {
  program
    .command('demo')
    .description(
      'fill the database with realistic demo data (two accounts, a year of reports, meetings, recordings, statistics)',
    )
    .addOption(
      new Option('--size <n>', 'data size: 1 is about 30,000 reports and 48 meetings').argParser(Number).default(1),
    )
    .option('--force', 'add the demo to a database that already has data')
    .option('--password <password>', 'one password for every demo user (default: generated, printed once)')
    .option('--serve', 'then serve, as `recap serve` (an already filled database is served as it is)')
    .option('--host <host>', 'with --serve: address to listen on (RECAP_HOST)')
    .option('--port <port>', 'with --serve: port to listen on (RECAP_PORT)')
    .action(async (opts: { size: number; force?: boolean; password?: string; serve?: boolean }, command: Command) => {
      if (!Number.isFinite(opts.size) || opts.size <= 0 || opts.size > 50)
        throw new InvalidArgumentError('--size must be a number above 0, at most 50');
      if (opts.password !== undefined && opts.password.length < 8)
        throw new InvalidArgumentError('--password must have at least 8 characters');
      const filled = await withDatabase(command, async ({ db }, config) => {
        if (opts.serve && !opts.force && (await listUsers(db)).length > 1) {
          process.stdout.write('The database already has data: serving it as it is (add --force to add the demo).\n');
          return false;
        }
        const tty = process.stderr.isTTY;
        const started = performance.now();
        const result = await runDemo(db, new LocalFileStorage(config.storageRoot), {
          size: opts.size,
          force: opts.force ?? false,
          password: opts.password,
          progress: (stage, done) => {
            if (!tty) return;
            const bar = '#'.repeat(Math.round(done * 30)).padEnd(30, '.');
            process.stderr.write(`\r\x1b[K[${bar}] ${String(Math.round(done * 100)).padStart(3)}%  ${stage}`);
          },
        });
        if (tty) process.stderr.write('\n');
        process.stdout.write(formatDemo(result, (performance.now() - started) / 1000, opts.password !== undefined));
        return true;
      });
      if (opts.serve) await serve(command, filled);
    });
}
