import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, withQuery } from '../api';
import { useAccount } from '../components/layout';
import { bytes, dateTime } from '../format';
import { may, useMe } from '../session';
import { useApi } from '../use-api';
import { NotForRole, type RecordingInfo } from './recordings';

interface Detail {
  recording_info: RecordingInfo;
  room_info: { room_title: string; joined_participants: number; created: string; ended: string };
}

/** One recording: a player that seeks (Range) with its stored subtitles, its metadata, download and delete. */
export function Recording() {
  const me = useMe();
  const { params } = useRoute();
  const { accountQuery, link } = useAccount();
  const { route } = useLocation();
  const roomId = params.roomId!;
  const recordId = params.recordId!;
  const allowed = may(me, 'view-records');
  const canChange = may(me, 'manage-records');
  const base = `/api/v4/recordings/${encodeURIComponent(recordId)}`;
  const detail = useApi<Detail>(allowed ? base : undefined, accountQuery);
  const [saved, setSaved] = useState('');
  const [error, setError] = useState('');
  const [form, setForm] = useState({ title: '', description: '', extra: '' });
  const info = detail.data?.recording_info;
  useEffect(() => {
    if (!info) return;
    setForm({
      title: info.metadata.title,
      description: info.metadata.description,
      extra: Object.entries(info.metadata.extra_data)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    });
  }, [info]);
  if (!allowed) return <NotForRole what="Recordings" />;
  if (detail.error)
    return (
      <p class="error" role="alert">
        {detail.error}
      </p>
    );
  if (!info) return <p class="loading">Loading…</p>;

  const save = async (event: Event) => {
    event.preventDefault();
    setError('');
    const extra: Record<string, string> = {};
    for (const line of form.extra.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) extra[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    // Keys no longer listed are removed ("" removes a key in plugNmeet's patch rules).
    for (const key of Object.keys(info.metadata.extra_data)) if (!(key in extra)) extra[key] = '';
    try {
      await api(base, {
        method: 'PATCH',
        body: { ...accountQuery, title: form.title, description: form.description, extra_data: extra },
      });
      setSaved('Saved.');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const remove = async () => {
    if (
      !window.confirm(`Delete the recording “${info.metadata.title || recordId}” and its file? This cannot be undone.`)
    )
      return;
    try {
      await api(withQuery(base, accountQuery), { method: 'DELETE' });
      route(link(`/console/recordings/${encodeURIComponent(roomId)}`));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  // Only subtitles Recap stores can be loaded: the page may fetch from its own origin alone.
  const tracks = Object.entries(info.metadata.subtitles).filter(([, s]) => s.url.startsWith('/api/v4/'));
  const file = withQuery(`${base}/file`, accountQuery);
  return (
    <section class="panel recording">
      <p>
        <a href={link('/console/recordings')}>Recordings</a> /{' '}
        <a href={link(`/console/recordings/${encodeURIComponent(roomId)}`)}>{roomId}</a> /
      </p>
      <h1>{info.metadata.title || recordId}</h1>
      <video controls preload="metadata" src={file} aria-label="Recording">
        {tracks.map(([lang, s], i) => (
          <track
            key={lang}
            kind="subtitles"
            srcLang={lang}
            label={s.label}
            src={withQuery(s.url, accountQuery)}
            default={i === 0}
          />
        ))}
      </video>
      <dl class="facts">
        <dt>Recorded</dt>
        <dd>{dateTime(info.creation_time)}</dd>
        <dt>Size</dt>
        <dd>{bytes(info.file_size)}</dd>
        <dt>Session</dt>
        <dd>
          {info.room_sid} · {detail.data!.room_info.joined_participants} participants
        </dd>
      </dl>
      <p>
        <a href={file} download>
          Download
        </a>
      </p>
      {canChange ? (
        <form onSubmit={save} class="metadata">
          <label>
            Title
            <input
              value={form.title}
              maxLength={1000}
              onInput={(e) => setForm({ ...form, title: e.currentTarget.value })}
            />
          </label>
          <label>
            Description
            <textarea
              rows={3}
              maxLength={10000}
              value={form.description}
              onInput={(e) => setForm({ ...form, description: e.currentTarget.value })}
            />
          </label>
          <label>
            Extra data (one key=value per line)
            <textarea rows={3} value={form.extra} onInput={(e) => setForm({ ...form, extra: e.currentTarget.value })} />
          </label>
          <div class="actions">
            <button type="submit">Save</button>
            <button type="button" class="danger" onClick={remove}>
              Delete recording
            </button>
            <span role="status">{saved}</span>
          </div>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </form>
      ) : (
        <>
          {info.metadata.description && <p>{info.metadata.description}</p>}
          <dl class="facts">
            {Object.entries(info.metadata.extra_data).map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </Fragment>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}
