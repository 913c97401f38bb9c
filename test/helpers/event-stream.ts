/** A Server-Sent Events stream read as a test does: every event of the names asked for, parsed, as it comes. */
export interface FollowedEvents<T> {
  status: number;
  contentType: string | null;
  seen: T[];
  /** Closes the stream and waits for the reader to end. */
  stop(): Promise<void>;
}

export async function followEvents<T>(url: string, eventName: string): Promise<FollowedEvents<T>> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const seen: T[] = [];
  const named = new RegExp(`^event: ${eventName}$`, 'm');
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    const reader = res.body!.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      buf += decoder.decode(next.value, { stream: true });
      for (let end = buf.indexOf('\n\n'); end !== -1; end = buf.indexOf('\n\n')) {
        const event = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (named.test(event) && data) seen.push(JSON.parse(data) as T);
      }
    }
  })().catch(() => {});
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    seen,
    stop: async () => {
      ac.abort();
      await reading;
    },
  };
}
