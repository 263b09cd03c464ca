import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, ADMIN } from './server.js';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Every JSON log line the server wrote so far. */
  logs: Record<string, unknown>[];
  /** The server's peak resident memory (VmHWM), in bytes. */
  peakRss(): number;
  /** The server's resident memory now (VmRSS), in bytes. */
  rss(): number;
  /** SIGKILL: no shutdown hook runs, as in a crash or an OOM kill. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** A memory figure of /proc/<pid>/status, in kB. */
function statusKb(child: ChildProcess, field: 'VmHWM' | 'VmRSS'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** The newest modification time of the TypeScript sources. */
function newestSource(directory = 'src'): number {
  return Math.max(
    ...readdirSync(directory, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestSource(join(directory, e.name)) : statSync(join(directory, e.name)).mtimeMs,
    ),
  );
}

/**
 * How to run the CLI: the build in dist/ (as an installation runs it; `npm test` builds first) when
 * it is newer than every source file, else the sources through tsx (its loader thread costs some
 * 35 MiB, so memory bounds are only checked on the build).
 */
export function cliCommand(): { args: string[]; built: boolean } {
  const built = existsSync('dist/cli.js') && statSync('dist/cli.js').mtimeMs >= newestSource();
  return built ? { args: ['dist/cli.js'], built } : { args: ['--import', 'tsx', 'src/cli.ts'], built };
}

/**
 * `recap serve` in a process of its own (as an installation runs it), on a free port, logging at
 * info as JSON lines, which the test can read. Resolves once it listens.
 */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliCommand().args, 'serve'], {
      env: {
        ...process.env,
        RECAP_PORT: '0',
        RECAP_LOG_LEVEL: 'info',
        RECAP_ADMIN_USER: ADMIN.username,
        RECAP_ADMIN_PASSWORD: ADMIN.password,
        RECAP_API_KEY: API_KEY.key,
        RECAP_API_SECRET: API_KEY.secret,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: Record<string, unknown>[] = [];
    let stderr = '';
    let pending = '';
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start in 30 s: ${stderr}`));
    }, 30_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'Recap is listening') {
          clearTimeout(timer);
          resolve({
            url: String(entry.url),
            child,
            logs,
            peakRss: () => statusKb(child, 'VmHWM') * 1024,
            rss: () => statusKb(child, 'VmRSS') * 1024,
            kill9: async () => {
              child.kill('SIGKILL');
              await exited;
            },
            stop: async () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              await exited;
            },
          });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}: ${stderr}`));
    });
  });
}
