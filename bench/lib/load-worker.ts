// Runs one autocannon load (the job file named by argv[2]) in its own process, pinned to its own
// core by the runner, and prints the summary as JSON on stdout.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface Job {
  url: string;
  connections: number;
  duration: number;
  requests: { method: string; path: string; headers?: Record<string, string>; body?: string }[];
}

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Job;
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.duration,
  requests: job.requests.map((r) => ({ method: r.method as 'GET', path: r.path, headers: r.headers, body: r.body })),
});
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  }),
);
