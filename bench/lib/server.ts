import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Whether `taskset` can pin processes to cores (server on core 0, load on core 1). */
export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();
export const pinned = (core: number, command: string, argv: string[]): [string, string[]] =>
  hasTaskset ? ['taskset', ['-c', String(core), command, ...argv]] : [command, argv];

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts the built server (dist/) on a free port, pinned to core 0, and waits until it is ready. */
export async function startServer(
  url: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await freePort();
  const [command, argv] = pinned(0, process.execPath, ['dist/cli.js', 'serve']);
  const child = spawn(command, argv, {
    env: {
      ...process.env,
      RECAP_DATABASE_URL: url,
      RECAP_DATA_DIR: dataDir,
      RECAP_PORT: String(port),
      RECAP_LOG_LEVEL: 'warn',
      RECAP_BENCH_ROUTES: 'true',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    // up to a minute: a first start after a bulk load takes a snapshot and closes idle sessions
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) return { child, baseUrl };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('server did not become ready');
}

/** Stops a server started by startServer: SIGTERM, then SIGKILL if it has not exited within 3 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
