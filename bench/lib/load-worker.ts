// Runs one load (the job file named by argv[2]) in its own process, pinned to its own core by the
// runner, and prints the summary as JSON on stdout. With `connections > 1` it is autocannon; with
// one connection it is a plain sequential loop timed with performance.now(), because autocannon's
// histogram rounds to whole milliseconds and a single client's sub-millisecond latency is the point.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { sequentialClient, type ClientRequest } from './http-client.js';

interface Job {
  url: string;
  connections: number;
  duration: number;
  requests: ClientRequest[];
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Job;

async function withAutocannon(): Promise<Summary> {
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.duration,
    requests: job.requests.map((r) => ({ method: r.method as 'GET', path: r.path, headers: r.headers, body: r.body })),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  };
}

async function sequential(): Promise<Summary> {
  const { send, close } = sequentialClient(job.url);
  const times: number[] = [];
  let errors = 0;
  const started = performance.now();
  for (let i = 0; performance.now() - started < job.duration * 1000; i++) {
    const t = performance.now();
    const status = await send(job.requests[i % job.requests.length]!);
    times.push(performance.now() - t);
    if (status < 200 || status >= 300) errors++;
  }
  const seconds = (performance.now() - started) / 1000;
  close();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { rps: times.length / seconds, p50: at(0.5), p99: at(0.99), errors, total: times.length };
}

process.stdout.write(JSON.stringify(job.connections === 1 ? await sequential() : await withAutocannon()));
