import type { EngineName } from './bench-engine.js';
import { describeLive, type LiveSummary } from './live.js';
import type { LoadSummary } from './scenario.js';

/** What one scenario measured on one engine's server. */
export interface Measured {
  engine: EngineName;
  /** Under `connections` clients, and the ceiling measured on the same server just before. */
  result: LoadSummary;
  near?: LoadSummary;
  /** One client alone (paired with the other engines' servers, request by request). */
  alone?: LoadSummary;
  liveResult?: LoadSummary;
  liveAlone?: LoadSummary;
  written?: LiveSummary;
  rss: string;
  reference?: string;
}

const pair = (s: LoadSummary | undefined) => (s ? `${s.p50.toFixed(2)} / ${s.p99.toFixed(2)}` : '—');
const rps = (s: LoadSummary | undefined) => (s ? Math.round(s.rps).toLocaleString('en') : '—');

/** The table's header: the engine column only when the run measures more than one. */
export function headerLine(engines: number, live: boolean): string {
  return `${engines > 1 ? `${'engine'.padEnd(9)}` : ''}${'scenario'.padEnd(48)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'vs ceiling'.padStart(11)} ${'ceiling'.padStart(8)} ${'1 client p50/p99 ms'.padStart(20)}${live ? ` ${'live req/s'.padStart(10)} ${'live p99'.padStart(9)} ${'live 1 client p50/p99'.padStart(22)}` : ''} ${'RSS MiB'.padStart(8)}  reference`;
}

/** One engine's line of a scenario. */
export function scenarioLine(name: string, m: Measured, engines: number, live: boolean): string {
  const ceilingRps = m.near?.rps ?? m.result.rps;
  const vsCeiling = ceilingRps > 0 ? `${((100 * m.result.rps) / ceilingRps).toFixed(1)}%` : '—';
  const liveColumns = live
    ? ` ${rps(m.liveResult).padStart(10)} ${(m.liveResult ? m.liveResult.p99.toFixed(1) : '—').padStart(9)} ${pair(m.liveAlone).padStart(22)}`
    : '';
  const errors =
    (m.result.errors > 0 ? `  (${m.result.errors} errors of ${m.result.total})` : '') +
    (m.alone && m.alone.errors > 0 ? `  (1 client: ${m.alone.errors} errors of ${m.alone.total})` : '') +
    (m.liveResult && m.liveResult.errors > 0 ? `  (live: ${m.liveResult.errors} errors of ${m.liveResult.total})` : '');
  return `${engines > 1 ? m.engine.padEnd(9) : ''}${name.padEnd(48)} ${rps(m.result).padStart(9)} ${m.result.p50.toFixed(1).padStart(8)} ${m.result.p99.toFixed(1).padStart(8)} ${vsCeiling.padStart(11)} ${Math.round(ceilingRps).toLocaleString('en').padStart(8)} ${pair(m.alone).padStart(20)}${liveColumns} ${m.rss.padStart(8)}  ${m.reference ?? ''}${errors}${m.written ? `  [writer: ${describeLive(m.written)}]` : ''}`;
}

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : undefined);
const shown = (r: number | undefined) => (r === undefined ? '—' : r.toFixed(2));

/**
 * PostgreSQL's figures over SQLite's, per scenario, from this run: one-client p50 (paired, so the
 * ratio holds while the machine's speed drifts) and loaded req/s (each engine in turn), idle and
 * live; then the largest one-client ratios.
 */
export function engineRatios(rows: { name: string; sqlite: Measured; postgres: Measured }[], live: boolean): string[] {
  const lines = [
    '',
    'PostgreSQL / SQLite in this run: one-client p50 (paired request by request) and loaded req/s (each engine in turn)',
    `${'scenario'.padEnd(48)} ${'1 client p50'.padStart(12)}${live ? ` ${'live 1 client p50'.padStart(17)}` : ''} ${'req/s'.padStart(8)}${live ? ` ${'live req/s'.padStart(10)}` : ''}`,
  ];
  const worst = { idle: { at: '', value: 0 }, live: { at: '', value: 0 } };
  for (const { name, sqlite, postgres } of rows) {
    const idle = ratio(postgres.alone?.p50, sqlite.alone?.p50);
    const busy = ratio(postgres.liveAlone?.p50, sqlite.liveAlone?.p50);
    if (idle !== undefined && idle > worst.idle.value) worst.idle = { at: name, value: idle };
    if (busy !== undefined && busy > worst.live.value) worst.live = { at: name, value: busy };
    lines.push(
      `${name.padEnd(48)} ${shown(idle).padStart(12)}${live ? ` ${shown(busy).padStart(17)}` : ''} ${shown(ratio(postgres.result.rps, sqlite.result.rps)).padStart(8)}${live ? ` ${shown(ratio(postgres.liveResult?.rps, sqlite.liveResult?.rps)).padStart(10)}` : ''}`,
    );
  }
  if (worst.idle.at) lines.push(`largest one-client p50 ratio idle: ${worst.idle.value.toFixed(2)} (${worst.idle.at})`);
  if (worst.live.at) lines.push(`largest one-client p50 ratio live: ${worst.live.value.toFixed(2)} (${worst.live.at})`);
  return lines;
}
