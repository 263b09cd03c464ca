// Runs one load (the job file named by argv[2]) in its own process, pinned to its own core by the
// runner, and prints one summary per target as JSON on stdout. With `connections > 1` it is
// autocannon against one target; with one connection it is a plain sequential loop timed with
// performance.now(), because autocannon's histogram rounds to whole milliseconds and a single
// client's sub-millisecond latency is the point. Several targets with one connection take the same
// request in turn (one, then the next), so each pair meets the machine in the same state.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { sequentialClient, type ClientRequest } from './http-client.js';
import type { LoadSummary } from './scenario.js';

export interface LoadTarget {
  url: string;
  requests: ClientRequest[];
}

export interface LoadJob {
  targets: LoadTarget[];
  connections: number;
  duration: number;
}

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadJob;

async function withAutocannon(target: LoadTarget): Promise<LoadSummary> {
  const result = await autocannon({
    url: target.url,
    connections: job.connections,
    duration: job.duration,
    requests: target.requests.map((r) => ({
      method: r.method as 'GET',
      path: r.path,
      headers: r.headers,
      body: r.body,
    })),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  };
}

async function sequential(): Promise<LoadSummary[]> {
  const clients = job.targets.map((target) => sequentialClient(target.url));
  const times = job.targets.map((): number[] => []);
  const errors = job.targets.map(() => 0);
  const started = performance.now();
  for (let i = 0; performance.now() - started < job.duration * 1000; i++) {
    for (const [side, target] of job.targets.entries()) {
      const t = performance.now();
      const status = await clients[side]!.send(target.requests[i % target.requests.length]!);
      times[side]!.push(performance.now() - t);
      if (status < 200 || status >= 300) errors[side]!++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  for (const client of clients) client.close();
  return times.map((list, side) => {
    list.sort((a, b) => a - b);
    const at = (q: number) => list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0;
    return { rps: list.length / seconds, p50: at(0.5), p99: at(0.99), errors: errors[side]!, total: list.length };
  });
}

if (job.connections > 1 && job.targets.length !== 1) throw new Error('a loaded run takes one target');
process.stdout.write(
  JSON.stringify(job.connections === 1 ? await sequential() : [await withAutocannon(job.targets[0]!)]),
);
