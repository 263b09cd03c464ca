import { useEffect, useState } from 'preact/hooks';
import { api, type Query } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  loading: boolean;
}

/** GETs an API path whenever it, its query or `version` changes; `path` undefined waits. */
export function useApi<T>(path: string | undefined, query: Query = {}, version = 0): Loaded<T> {
  const key = path === undefined ? '' : `${path}?${JSON.stringify(query)}#${version}`;
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: '', loading: path !== undefined });
  useEffect(() => {
    if (path === undefined) return;
    let current = true;
    setState((s) => ({ ...s, loading: true, error: '' }));
    api<T>(path, { query }).then(
      (data) => current && setState({ data, error: '', loading: false }),
      (e: Error) => current && setState({ data: undefined, error: e.message, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [key]);
  return state;
}
