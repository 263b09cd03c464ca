import { join, resolve } from 'node:path';

/** Where the bench keeps an engine's data set at a scale: a SQLite file, or a PostgreSQL schema. */
export interface BenchTarget {
  url: string;
  dataDir: string;
  /** PostgreSQL only: the schema holding the data set, in the database `base` names. */
  schema?: string;
}

export function benchTarget(engine: 'sqlite' | 'postgres', scale: number, postgresBase: string): BenchTarget {
  const dataDir = resolve('bench/.data', `${engine}-${scale}`);
  if (engine === 'sqlite') return { url: `sqlite:${join(dataDir, 'recap.db')}`, dataDir };
  const schema = `recap_bench_${String(scale).replace('.', '_')}`;
  const url = new URL(postgresBase);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), dataDir, schema };
}
