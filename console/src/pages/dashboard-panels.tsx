import { useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { withQuery } from '../api';
import { useAccount } from '../components/layout';
import { BarList, Panel } from '../components/panel';
import { downloadCsv } from '../csv';
import { useApi, type Loaded } from '../use-api';
import type { Awareness, windowOf } from './channel-dashboard';

type Window = ReturnType<typeof windowOf>;

export function StatePanel({ window }: { window: Window }) {
  const states = useApi<{ id: number; name: string; report_count: number }[]>(
    '/api/v4/analytics/reports_per_state',
    window,
  );
  return (
    <Panel
      title="Per state"
      state={states}
      empty={!states.data?.length}
      csv={{ path: '/api/v4/analytics/reports_per_state', query: window }}
    >
      <BarList
        label="State"
        rows={(states.data ?? []).map((s) => ({ key: s.id, name: s.name, value: s.report_count }))}
      />
    </Panel>
  );
}

const TOP_USERS = 20;

export function UserPanel({ window, file }: { window: Window; file: string }) {
  const { accountQuery } = useAccount();
  const perUser = useApi<{ user_id: number; report_count: number }[]>('/api/v4/analytics/reports_per_user', window);
  const top = (perUser.data ?? []).slice(0, TOP_USERS);
  const ids = top.map((r) => r.user_id).join(',');
  const names = useApi<{ id: number; username: string; first_name: string; last_name: string }[]>(
    ids ? '/api/v4/users/names' : undefined,
    { ids, ...accountQuery },
  );
  const nameOf = useMemo(() => {
    const byId = new Map((names.data ?? []).map((n) => [n.id, `${n.first_name} ${n.last_name}`.trim() || n.username]));
    return (id: number) => byId.get(id) ?? `User ${id}`;
  }, [names.data]);
  return (
    <Panel
      title={`Per user (top ${TOP_USERS})`}
      state={{ loading: perUser.loading || names.loading, error: perUser.error || names.error }}
      empty={top.length === 0}
      onCsv={() =>
        downloadCsv(
          file,
          ['user_id', 'name', 'report_count'],
          top.map((r) => [r.user_id, nameOf(r.user_id), r.report_count]),
        )
      }
    >
      <BarList
        label="User"
        rows={top.map((r) => ({ key: r.user_id, name: nameOf(r.user_id), value: r.report_count }))}
      />
    </Panel>
  );
}

interface Form {
  id: number;
  name: string;
  fields: { id: number; name: string; field_type: string }[];
}
const SINGLE_CHOICE = new Set(['Category', 'DropDown', 'Radio']);

export function FieldPanel({ window }: { window: Window }) {
  const { query, path, route } = useLocation();
  const forms = useApi<Form[]>('/api/v4/forms', { channel_id: window.channel_id });
  const fields = (forms.data ?? []).flatMap((f) =>
    f.fields.filter((x) => SINGLE_CHOICE.has(x.field_type)).map((x) => ({ id: x.id, label: `${f.name}: ${x.name}` })),
  );
  const chosen = fields.find((f) => String(f.id) === query.field) ?? fields[0];
  const q = { ...window, field_id: chosen?.id };
  const options = useApi<{ value: string; name: string; report_count: number }[]>(
    chosen ? '/api/v4/analytics/reports_per_field_selection' : undefined,
    q,
  );
  return (
    <Panel
      title="Per field selection"
      state={{ loading: forms.loading || options.loading, error: forms.error || options.error }}
      empty={fields.length === 0}
      csv={chosen ? { path: '/api/v4/analytics/reports_per_field_selection', query: q } : undefined}
    >
      <label class="inline">
        Field
        <select
          aria-label="Field"
          value={chosen?.id}
          onChange={(e) => route(withQuery(path, { ...query, field: e.currentTarget.value }), true)}
        >
          {fields.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <BarList
        label="Option"
        rows={(options.data ?? []).map((o) => ({ key: o.value, name: o.name, value: o.report_count }))}
      />
    </Panel>
  );
}

const AWARENESS_COLUMNS = [
  ['total_alerts', 'Delivered'],
  ['unique_alerts', 'Alerts'],
  ['alert_source_reports', 'Source reports'],
  ['alerts_opened', 'Opened'],
] as const;
type SortKey = 'name' | (typeof AWARENESS_COLUMNS)[number][0];

export function AwarenessPanel({
  rows,
  state,
  window,
  fields,
}: {
  rows: Awareness[] | undefined;
  state: Loaded<unknown>;
  window: Window;
  fields: string;
}) {
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'total_alerts', descending: true });
  const name = (r: Awareness) => `${r.first_name} ${r.last_name}`.trim() || `User ${r.user_id}`;
  const sorted = useMemo(() => {
    const list = [...(rows ?? [])];
    list.sort((a, b) => {
      const order = sort.key === 'name' ? name(a).localeCompare(name(b)) : a[sort.key] - b[sort.key];
      return (sort.descending ? -order : order) || a.user_id - b.user_id;
    });
    return list;
  }, [rows, sort]);
  const header = (key: SortKey, label: string, numeric: boolean) => (
    <th
      scope="col"
      class={numeric ? 'num' : ''}
      aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
    >
      <button
        type="button"
        class="link"
        onClick={() => setSort({ key, descending: sort.key === key ? !sort.descending : numeric })}
      >
        {label}
      </button>
    </th>
  );
  return (
    <Panel
      title="User awareness"
      wide
      state={state}
      empty={!rows?.length}
      csv={{ path: '/api/v4/analytics/user_awareness', query: { ...window, fields } }}
    >
      <div class="scroll">
        <table>
          <thead>
            <tr>
              {header('name', 'User', false)}
              {AWARENESS_COLUMNS.map(([key, label]) => header(key, label, true))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.user_id}>
                <td>{name(r)}</td>
                {AWARENESS_COLUMNS.map(([key]) => (
                  <td key={key} class="num">
                    {r[key].toLocaleString()}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}

const IMAGES_PAGE = 24;

interface Image {
  report_image_id: number;
  report_id: number;
  created_at: string;
  styles: { thumb: string; medium: string };
}

export function ImagesPanel({ window }: { window: Window }) {
  const [from, setFrom] = useState(0);
  const [open, setOpen] = useState<Image | null>(null);
  const q = { ...window, from, limit: IMAGES_PAGE };
  const images = useApi<Image[]>('/api/v4/analytics/reports_images', q);
  const list = images.data ?? [];
  return (
    <Panel
      title="Images"
      wide
      state={images}
      empty={list.length === 0 && from === 0}
      csv={{ path: '/api/v4/analytics/reports_images', query: q }}
    >
      <ul class="gallery">
        {list.map((image) => (
          <li key={image.report_image_id}>
            <button type="button" class="thumb" onClick={() => setOpen(image)}>
              <img
                src={image.styles.thumb}
                width={150}
                height={150}
                alt={`Image of report ${image.report_id}`}
                loading="lazy"
              />
            </button>
          </li>
        ))}
      </ul>
      <nav class="pager" aria-label="Image pages">
        <button type="button" disabled={from === 0} onClick={() => setFrom(Math.max(0, from - IMAGES_PAGE))}>
          Previous
        </button>
        <button type="button" disabled={list.length < IMAGES_PAGE} onClick={() => setFrom(from + IMAGES_PAGE)}>
          Next
        </button>
      </nav>
      {open && (
        <div
          class="overlay"
          onKeyDown={(e) => e.key === 'Escape' && setOpen(null)}
          role="dialog"
          aria-modal="true"
          aria-label={`Image of report ${open.report_id}`}
          onClick={() => setOpen(null)}
        >
          <img src={open.styles.medium} alt={`Image of report ${open.report_id}`} />
          <button type="button" onClick={() => setOpen(null)} autoFocus>
            Close
          </button>
        </div>
      )}
    </Panel>
  );
}
