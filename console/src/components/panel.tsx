import type { ComponentChildren } from 'preact';
import { withQuery, type Query } from '../api';
import type { Loaded } from '../use-api';

/** A dashboard panel: a title, its CSV (the API's twin, or built here), and its state. */
export function Panel({
  title,
  csv,
  onCsv,
  state,
  empty,
  children,
  wide,
}: {
  title: string;
  /** The API endpoint and query whose CSV twin is exactly what the panel shows. */
  csv?: { path: string; query: Query } | undefined;
  onCsv?: (() => void) | undefined;
  state: Pick<Loaded<unknown>, 'error' | 'loading'>;
  empty?: boolean;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section
      class={`panel${wide ? ' wide' : ''}`}
      aria-labelledby={id}
      data-state={state.loading ? 'loading' : 'ready'}
    >
      <header>
        <h2 id={id}>{title}</h2>
        {csv && (
          <a class="csv" href={withQuery(csv.path, { ...csv.query, format: 'csv' })} download>
            CSV<span class="visually-hidden"> of {title}</span>
          </a>
        )}
        {onCsv && (
          <button type="button" class="csv" onClick={onCsv}>
            CSV<span class="visually-hidden"> of {title}</span>
          </button>
        )}
      </header>
      {state.error ? (
        <p class="error" role="alert">
          {state.error}
        </p>
      ) : state.loading ? (
        <p class="loading">Loading…</p>
      ) : empty ? (
        <p class="empty">Nothing in this period.</p>
      ) : (
        children
      )}
    </section>
  );
}

/** Rows with a bar each: for categories (states, users, options), where names matter more than shape. */
export function BarList({
  rows,
  label,
}: {
  rows: { key: string | number; name: string; value: number }[];
  label: string;
}) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <table class="bars">
      <thead>
        <tr>
          <th scope="col">{label}</th>
          <th scope="col" class="num">
            Reports
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <td>
              <span class="bar" style={{ width: `${(100 * r.value) / max}%` }} aria-hidden="true" />
              <span class="bar-label">{r.name}</span>
            </td>
            <td class="num">{r.value.toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
