import { InvalidArgumentError, type Command } from 'commander';
import type { CliHelpers } from '../cli-helpers.js';
import { LocalFileStorage } from '../storage/files.js';
import { toIso } from '../shared/time.js';
import { listTrashItems, restoreFromTrash } from './service.js';

const account = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

/** `recap trash list` and `recap trash restore recording|analytics <id>`. */
export function registerTrashCommands(program: Command, { withDatabase }: Pick<CliHelpers, 'withDatabase'>): void {
  const trash = program
    .command('trash')
    .description('deleted recordings and analytics files, until RECAP_TRASH_DAYS have passed');
  trash
    .command('list')
    .description('what is in the trash')
    .option('--account <id>', 'the account (default 1)', account, 1)
    .action(async (opts: { account: number }, command: Command) => {
      await withDatabase(command, async ({ db }) => {
        const items = await listTrashItems(db, opts.account);
        if (items.length === 0) return void process.stdout.write('(the trash is empty)\n');
        for (const i of items)
          process.stdout.write(
            `${i.kind.padEnd(10)} ${i.id}  room ${i.room_id}  ${i.file_size} bytes  deleted ${toIso(i.trashed_at)}  purged ${toIso(i.purge_at)}\n`,
          );
      });
    });
  trash
    .command('restore <kind> <id>')
    .description('put a recording or analytics file back (kind: recording or analytics)')
    .option('--account <id>', 'the account (default 1)', account, 1)
    .action(async (kind: string, id: string, opts: { account: number }, command: Command) => {
      if (kind !== 'recording' && kind !== 'analytics')
        throw new InvalidArgumentError('kind is recording or analytics');
      await withDatabase(command, async ({ db }, config) => {
        await restoreFromTrash(db, new LocalFileStorage(config.storageRoot), opts.account, kind, id);
        process.stdout.write(`restored ${kind} ${id}\n`);
      });
    });
}
