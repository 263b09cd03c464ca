import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Random } from './lib/random.js';

/**
 * Import throughput: an NDJSON file of `count` reports (a form with a DropDown and a Text field,
 * states on 9 in 10, 5 users, times over a year), streamed to `POST /api/v4/import` over HTTP
 * into a channel created for this run, so repeated runs (--keep) leave the measured channels alone.
 */
export async function measureImport(
  baseUrl: string,
  token: string,
  file: string,
  count: number,
  now: number,
): Promise<{ reports: number; seconds: number; megabytes: number }> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: number; fields: { id: number; options: { value: string }[] }[] };
  };
  const channel = await post('/api/v4/channels', { name: `import bench ${new Date().toISOString()}` });
  const states = [await post('/api/v4/states', { name: 'Open' }), await post('/api/v4/states', { name: 'Closed' })];
  const form = await post('/api/v4/forms', {
    channel_id: channel.id,
    name: 'Incident',
    fields: [
      {
        name: 'Severity',
        field_type: 'DropDown',
        options: [{ name: 'Low' }, { name: 'Medium' }, { name: 'High' }, { name: 'Critical' }],
      },
      { name: 'Notes', field_type: 'Text' },
    ],
  });
  const [severity, notes] = form.fields as [{ id: number; options: { value: string }[] }, { id: number }];
  const random = new Random(42);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        type: 'report',
        channel_id: channel.id,
        form_id: form.id,
        ...(random.int(0, 9) === 0 ? {} : { state_id: states[random.int(0, 1)]!.id }),
        created_at: new Date(now - random.int(0, 365 * 86_400_000)).toISOString(),
        values: { [severity.id]: severity.options[random.int(0, 3)]!.value, [notes.id]: `note ${i}` },
      }),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/v4/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const answer = (await response.json()) as { reports?: number };
  const seconds = (performance.now() - started) / 1000;
  if (response.status !== 201 || answer.reports !== count)
    throw new Error(`import: ${response.status} ${JSON.stringify(answer)}`);
  return { reports: count, seconds, megabytes: statSync(file).size / 1024 ** 2 };
}
