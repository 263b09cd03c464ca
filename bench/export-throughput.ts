/**
 * Raw export throughput: the hot channel's year as CSV from `GET /api/v4/reports?format=csv`,
 * read as fast as the client can, counting rows; `sampleRss` is polled meanwhile so the figure
 * shows the server's memory stays flat while a quarter of a million rows stream through.
 */
export async function measureExport(
  baseUrl: string,
  token: string,
  window: { channelId: number; start: number; end: number },
  sampleRss: () => number,
): Promise<{ rows: number; seconds: number; megabytes: number; rssBefore: number; rssPeak: number }> {
  const rssBefore = sampleRss();
  let rssPeak = rssBefore;
  const timer = setInterval(() => (rssPeak = Math.max(rssPeak, sampleRss())), 100);
  const query = `channel_id=${window.channelId}&start_date=${new Date(window.start).toISOString()}&end_date=${new Date(window.end).toISOString()}&format=csv`;
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}/api/v4/reports?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status !== 200) throw new Error(`export: ${response.status} ${await response.text()}`);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) lines++;
    }
    // Lines end with CRLF; quoted cells may hold newlines too, but the bench's values have none.
    return {
      rows: lines - 1,
      seconds: (performance.now() - started) / 1000,
      megabytes: bytes / 2 ** 20,
      rssBefore,
      rssPeak,
    };
  } finally {
    clearInterval(timer);
  }
}
