import type { Command } from 'commander';
import type { CliHelpers } from '../cli-helpers.js';
import { runBackup, runRestore } from './index.js';

/** `recap backup <dir>` and `recap restore <dir>`. */
export function registerBackupCommands(
  program: Command,
  { withDatabase, configFrom }: Pick<CliHelpers, 'withDatabase' | 'configFrom'>,
): void {
  program
    .command('backup <dir>')
    .description(
      'a consistent copy of the database and every stored file while Recap runs, with a manifest of SHA-256 hashes',
    )
    .action(async (dir: string, _opts, command: Command) => {
      await withDatabase(command, async (database, config) => {
        const started = performance.now();
        const manifest = await runBackup(database, config, dir, (stage) => process.stderr.write(`${stage}…\n`));
        const bytes = manifest.files.reduce((n, f) => n + f.size, manifest.database.size);
        process.stdout.write(
          `backed up the ${manifest.engine} database and ${manifest.files.length} files (${(bytes / 2 ** 20).toFixed(1)} MiB) to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
        );
      });
    });

  program
    .command('restore <dir>')
    .description('check every hash of a backup, then restore it into an empty database and data directory')
    .action(async (dir: string, _opts, command: Command) => {
      const config = configFrom(command);
      const manifest = await runRestore(config, dir, (stage) => process.stderr.write(`${stage}…\n`));
      process.stdout.write(
        `restored the backup of ${manifest.created_at}: the database and ${manifest.files.length} files\n`,
      );
    });
}
