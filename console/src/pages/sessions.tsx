import { useMemo } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { withQuery } from '../api';
import { useAccount } from '../components/layout';
import { Pager, useFrom } from '../components/pager';
import { bytes, dateTime, duration } from '../format';
import { may, useMe } from '../session';
import { useApi } from '../use-api';
import { NotForRole } from './recordings';

const PAGE = 20;

/** A room's analytics files, newest first. */
export function RoomSessions() {
  const me = useMe();
  const { params } = useRoute();
  const { accountQuery, link } = useAccount();
  const { query, path, route } = useLocation();
  const roomId = params.roomId!;
  const from = useFrom(query);
  const allowed = may(me, 'view-records');
  const page = useApi<{
    total: number;
    items: { file_id: string; file_size: number; creation_time: number; room_creation_time: number }[];
  }>(allowed ? '/api/v4/analytics-files' : undefined, { ...accountQuery, room_id: roomId, from, limit: PAGE });
  if (!allowed) return <NotForRole what="Session analytics" />;
  return (
    <section class="panel">
      <p>
        <a href={link(`/console/recordings/${encodeURIComponent(roomId)}`)}>Recordings of {roomId}</a>
      </p>
      <h1>Sessions of {roomId}</h1>
      <p>
        <a
          class="csv"
          href={withQuery('/api/v4/analytics-files', {
            ...accountQuery,
            room_id: roomId,
            from,
            limit: PAGE,
            format: 'csv',
          })}
          download
        >
          CSV<span class="visually-hidden"> of this page of sessions</span>
        </a>
      </p>
      {page.error && (
        <p class="error" role="alert">
          {page.error}
        </p>
      )}
      {page.data?.total === 0 && (
        <p class="empty">
          No session of this room has ended yet. Sessions come from <code>POST /auth/room/events</code> or LiveKit
          webhooks.
        </p>
      )}
      {!!page.data?.items.length && (
        <table>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Started</th>
              <th scope="col" class="num">
                File size
              </th>
            </tr>
          </thead>
          <tbody>
            {page.data.items.map((f) => (
              <tr key={f.file_id}>
                <td>
                  <a href={link(`/console/sessions/${encodeURIComponent(roomId)}/${encodeURIComponent(f.file_id)}`)}>
                    {f.file_id}
                  </a>
                </td>
                <td>{dateTime(f.room_creation_time)}</td>
                <td class="num">{bytes(f.file_size)}</td>
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

interface EventGroup {
  name: string;
  total: number;
  values: { time: number; value: string }[];
}
interface AnalyticsFile {
  room: {
    room_id: string;
    room_title: string;
    room_total_users: number;
    room_creation: number;
    room_ended: number;
    room_duration: number;
    events: EventGroup[];
  };
  users: { user_id: string; name: string; is_admin: boolean; events: EventGroup[] }[];
}

const total = (events: EventGroup[], name: string) => events.find((e) => e.name === name)?.total ?? 0;

/** Who was in the room when: joined/left pairs as spans (a join without a leave lasts to the end). */
function presence(events: EventGroup[], start: number, end: number): [number, number][] {
  const joins = events.find((e) => e.name === 'joined')?.values.map((v) => v.time) ?? [];
  const leaves = events.find((e) => e.name === 'left')?.values.map((v) => v.time) ?? [];
  return joins
    .sort((a, b) => a - b)
    .map((t) => [t, leaves.filter((l) => l >= t).sort((a, b) => a - b)[0] ?? end])
    .map(([a, b]) => [Math.max(a!, start), Math.min(b!, end)]);
}

/** One session's analytics file: presence timeline, talk time, chat and raised hands, room events. */
export function SessionFile() {
  const me = useMe();
  const { params } = useRoute();
  const { accountQuery, link } = useAccount();
  const roomId = params.roomId!;
  const fileId = params.fileId!;
  const allowed = may(me, 'view-records');
  const path = `/api/v4/analytics-files/${encodeURIComponent(fileId)}`;
  const file = useApi<AnalyticsFile>(allowed ? path : undefined, accountQuery);
  const data = file.data;
  const start = (data?.room.room_creation ?? 0) * 1000;
  const end = Math.max((data?.room.room_ended ?? 0) * 1000, start + 1);
  const users = useMemo(
    () =>
      (data?.users ?? []).map((u) => ({
        ...u,
        spans: presence(u.events, start, end),
        talked: total(u.events, 'talked_duration'),
        chat: total(u.events, 'public_chat') + total(u.events, 'private_chat'),
        hands: total(u.events, 'raise_hand'),
      })),
    [data],
  );
  if (!allowed) return <NotForRole what="Session analytics" />;
  if (file.error)
    return (
      <p class="error" role="alert">
        {file.error}
      </p>
    );
  if (!data) return <p class="loading">Loading…</p>;
  const at = (t: number) => `${(100 * (t - start)) / (end - start)}%`;
  const maxTalk = Math.max(1, ...users.map((u) => u.talked));
  return (
    <div class="dashboard">
      <header class="page-head">
        <p>
          <a href={link(`/console/sessions/${encodeURIComponent(roomId)}`)}>Sessions of {roomId}</a> /
        </p>
        <h1>{data.room.room_title || fileId}</h1>
        <p>
          {dateTime(data.room.room_creation)} · {duration(data.room.room_duration * 1000)} ·{' '}
          {data.room.room_total_users} participants ·{' '}
          <a href={withQuery(path, accountQuery)} download>
            JSON
          </a>
        </p>
      </header>
      <section class="panel wide" aria-labelledby="presence">
        <h2 id="presence">Who was in the room when</h2>
        <ul class="timeline">
          {users.map((u) => (
            <li key={u.user_id}>
              <span class="who-name">{u.name || u.user_id}</span>
              <span
                class="track"
                role="img"
                aria-label={`${u.name}: ${u.spans.map(([a, b]) => `${new Date(a).toLocaleTimeString()}–${new Date(b).toLocaleTimeString()}`).join(', ')}`}
              >
                {u.spans.map(([a, b], i) => (
                  <span key={i} class="span" style={{ left: at(a), width: `calc(${at(b)} - ${at(a)})` }} />
                ))}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section class="panel" aria-labelledby="talk">
        <h2 id="talk">Talk time</h2>
        <table class="bars">
          <tbody>
            {[...users]
              .sort((a, b) => b.talked - a.talked)
              .map((u) => (
                <tr key={u.user_id}>
                  <td>
                    <span class="bar" style={{ width: `${(100 * u.talked) / maxTalk}%` }} aria-hidden="true" />
                    <span class="bar-label">{u.name || u.user_id}</span>
                  </td>
                  <td class="num">{duration(u.talked)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </section>
      <section class="panel" aria-labelledby="chat">
        <h2 id="chat">Chat and raised hands</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Participant</th>
              <th scope="col" class="num">
                Chat messages
              </th>
              <th scope="col" class="num">
                Raised hands
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.user_id}>
                <td>{u.name || u.user_id}</td>
                <td class="num">{u.chat}</td>
                <td class="num">{u.hands}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel wide" aria-labelledby="room-events">
        <h2 id="room-events">Room events</h2>
        {data.room.events.length === 0 ? (
          <p class="empty">No room events.</p>
        ) : (
          <table>
            <tbody>
              {data.room.events.flatMap((e) =>
                e.values.map((v, i) => (
                  <tr key={`${e.name}-${i}`}>
                    <td>{new Date(v.time).toLocaleTimeString()}</td>
                    <td>{e.name}</td>
                    <td>{v.value}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
