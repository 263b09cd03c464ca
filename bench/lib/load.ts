import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadJob, LoadTarget } from './load-worker.js';
import type { LoadSummary } from './scenario.js';
import { pinned } from './server.js';

let jobs = 0;

/** Runs a load in bench/lib/load-worker.ts on the load's core: one summary per target. */
export function runLoadJob(job: LoadJob): Promise<LoadSummary[]> {
  // The job goes through a file: bodies of 500 events exceed the argument size limit.
  const jobFile = resolve(`bench/.data/load-job-${process.pid}-${++jobs}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const [command, argv] = pinned(1, process.execPath, ['--import', 'tsx', 'bench/lib/load-worker.ts', jobFile]);
  return new Promise((resolveLoad, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => {
      rmSync(jobFile, { force: true });
      if (code === 0) resolveLoad(JSON.parse(out) as LoadSummary[]);
      else reject(new Error(`load worker exited ${code}`));
    });
  });
}

/** `connections` clients against one server for `seconds`. */
export async function runLoad(target: LoadTarget, seconds: number, connections: number): Promise<LoadSummary> {
  const [summary] = await runLoadJob({ targets: [target], connections, duration: seconds });
  return summary!;
}

/**
 * One client, one request at a time, for `seconds` per target: with several targets each request
 * goes to one server, then the same request to the next, so every target's figure meets the
 * machine in the same state (this VM's speed drifts by up to 2× within minutes).
 */
export function runOneClient(targets: LoadTarget[], seconds: number): Promise<LoadSummary[]> {
  return runLoadJob({ targets, connections: 1, duration: seconds * targets.length });
}

/**
 * Waits until the server answers /readyz within 5 ms twice running (at most 30 s): requests of a
 * slow scenario that a finished load left in flight would otherwise land in the next run (the
 * ceiling measured 0 req/s behind 60 ms requests). They interleave with /readyz at every await,
 * so its latency, not its answer, tells when they are done.
 */
export async function untilIdle(baseUrl: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (let quick = 0; quick < 2 && performance.now() < deadline;) {
    const started = performance.now();
    await fetch(`${baseUrl}/readyz`);
    quick = performance.now() - started < 5 ? quick + 1 : 0;
  }
}

/** A process's resident memory in MiB (VmRSS now, VmHWM peak, RssAnon), from /proc where there is one. */
export function processMemory(pid: number | undefined, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): string {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return (Number(line?.replace(/\D+/g, '')) / 1024).toFixed(0);
  } catch {
    return '?';
  }
}
