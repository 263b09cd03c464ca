import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAccount } from '../components/layout';
import { bytes } from '../format';
import { may, useMe } from '../session';
import { useApi } from '../use-api';

interface TrashItem {
  kind: 'recording' | 'analytics';
  id: string;
  room_id: string;
  file_size: number;
  trashed_at: string;
  purge_at: string;
}

/** Deleted recordings and analytics files (managers and admins): restore before they are purged. */
export function Trash() {
  const me = useMe();
  const { accountQuery } = useAccount();
  const allowed = may(me, 'manage-records');
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState('');
  const items = useApi<TrashItem[]>(allowed ? '/api/v4/trash' : undefined, accountQuery, version);
  if (!allowed)
    return (
      <section class="panel">
        <h1>Trash</h1>
        <p class="notice">The trash is for managers and admins.</p>
      </section>
    );
  const restore = async (item: TrashItem) => {
    setMessage('');
    try {
      await api('/api/v4/trash/restore', { method: 'POST', body: { ...accountQuery, kind: item.kind, id: item.id } });
      setMessage(`Restored ${item.kind} ${item.id}.`);
      setVersion(version + 1);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  return (
    <section class="panel">
      <h1>Trash</h1>
      <p class="muted">Deleted recordings and session files wait here until they are purged.</p>
      <p role="status">{message}</p>
      {items.error && (
        <p class="error" role="alert">
          {items.error}
        </p>
      )}
      {items.data?.length === 0 && <p class="empty">The trash is empty.</p>}
      {!!items.data?.length && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Room</th>
                <th scope="col" class="num">
                  Size
                </th>
                <th scope="col">Deleted</th>
                <th scope="col">Purged</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.data.map((item) => (
                <tr key={`${item.kind}-${item.id}`}>
                  <td>
                    {item.kind === 'recording' ? 'Recording' : 'Session file'} {item.id}
                  </td>
                  <td>{item.room_id}</td>
                  <td class="num">{bytes(item.file_size)}</td>
                  <td>{new Date(item.trashed_at).toLocaleString()}</td>
                  <td>{new Date(item.purge_at).toLocaleString()}</td>
                  <td>
                    <button type="button" onClick={() => restore(item)}>
                      Restore<span class="visually-hidden"> {item.id}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
