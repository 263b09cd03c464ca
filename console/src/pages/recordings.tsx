import { useLocation, useRoute } from 'preact-iso';
import { withQuery } from '../api';
import { useAccount } from '../components/layout';
import { Pager, useFrom } from '../components/pager';
import { bytes, dateTime } from '../format';
import { may, useMe } from '../session';
import { useApi } from '../use-api';

export interface RecordingInfo {
  record_id: string;
  room_id: string;
  room_sid: string;
  file_path: string;
  file_size: number;
  creation_time: number;
  metadata: {
    title: string;
    description: string;
    subtitles: Record<string, { label: string; url: string }>;
    extra_data: Record<string, string>;
  };
}

const PAGE = 20;

export function NotForRole({ what }: { what: string }) {
  return (
    <section class="panel">
      <h1>{what}</h1>
      <p class="notice">
        Your role does not include {what.toLowerCase()} (analysts, managers and admins may read them).
      </p>
    </section>
  );
}

export function RecordingRooms() {
  const me = useMe();
  const { accountQuery, link } = useAccount();
  const { query, path, route } = useLocation();
  const from = useFrom(query);
  const allowed = may(me, 'view-records');
  const rooms = useApi<{
    total: number;
    items: { room_id: string; recordings: number; total_size: number; newest_creation_time: number }[];
  }>(allowed ? '/api/v4/recording-rooms' : undefined, { ...accountQuery, from, limit: PAGE });
  if (!allowed) return <NotForRole what="Recordings" />;
  return (
    <section class="panel">
      <h1>Recordings</h1>
      {rooms.error && (
        <p class="error" role="alert">
          {rooms.error}
        </p>
      )}
      {rooms.data?.total === 0 && (
        <p class="empty">
          No recordings yet. Register one with plugNmeet's <code>POST /auth/recording/add</code> or an upload, or run{' '}
          <code>npm run demo</code>.
        </p>
      )}
      {!!rooms.data?.items.length && (
        <table>
          <thead>
            <tr>
              <th scope="col">Room</th>
              <th scope="col" class="num">
                Recordings
              </th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Newest</th>
            </tr>
          </thead>
          <tbody>
            {rooms.data.items.map((r) => (
              <tr key={r.room_id}>
                <td>
                  <a href={link(`/console/recordings/${encodeURIComponent(r.room_id)}`)}>{r.room_id}</a>
                </td>
                <td class="num">{r.recordings.toLocaleString()}</td>
                <td class="num">{bytes(r.total_size)}</td>
                <td>{dateTime(r.newest_creation_time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rooms.data && (
        <Pager
          from={from}
          size={PAGE}
          total={rooms.data.total}
          onPage={(f) => route(withQuery(path, { ...query, from: f || undefined }))}
        />
      )}
    </section>
  );
}

export function RoomRecordings() {
  const me = useMe();
  const { params } = useRoute();
  const { accountQuery, link } = useAccount();
  const { query, path, route } = useLocation();
  const roomId = params.roomId!;
  const from = useFrom(query);
  const allowed = may(me, 'view-records');
  const page = useApi<{ total: number; items: RecordingInfo[] }>(allowed ? '/api/v4/recordings' : undefined, {
    ...accountQuery,
    room_id: roomId,
    from,
    limit: PAGE,
  });
  if (!allowed) return <NotForRole what="Recordings" />;
  return (
    <section class="panel">
      <p>
        <a href={link('/console/recordings')}>Recordings</a> /
      </p>
      <h1>{roomId}</h1>
      <p class="actions">
        <a href={link(`/console/sessions/${encodeURIComponent(roomId)}`)}>Session analytics of this room</a>
        <a
          class="csv"
          href={withQuery('/api/v4/recordings', { ...accountQuery, room_id: roomId, from, limit: PAGE, format: 'csv' })}
          download
        >
          CSV<span class="visually-hidden"> of this page of recordings</span>
        </a>
      </p>
      {page.error && (
        <p class="error" role="alert">
          {page.error}
        </p>
      )}
      {page.data?.total === 0 && <p class="empty">This room has no recordings.</p>}
      {!!page.data?.items.length && (
        <table>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Date</th>
              <th scope="col" class="num">
                Size
              </th>
            </tr>
          </thead>
          <tbody>
            {page.data.items.map((r) => (
              <tr key={r.record_id}>
                <td>
                  <a
                    href={link(`/console/recordings/${encodeURIComponent(roomId)}/${encodeURIComponent(r.record_id)}`)}
                  >
                    {r.metadata.title || r.record_id}
                  </a>
                </td>
                <td>{dateTime(r.creation_time)}</td>
                <td class="num">{bytes(r.file_size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page.data && (
        <Pager
          from={from}
          size={PAGE}
          total={page.data.total}
          onPage={(f) => route(withQuery(path, { ...query, from: f || undefined }))}
        />
      )}
    </section>
  );
}
