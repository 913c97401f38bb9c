/** The requests the recording's browser made, oldest first, newest at the bottom (it scrolls along). */
import { useStickToBottom } from '../stick-to-bottom.js';
import type { LiveRequest } from '../types.js';

const statusClass = (s: number) => (s === 0 ? 'status-failed' : s < 300 ? 'status-succeeded' : s < 400 ? 'status-reused' : 'status-failed');

export function RequestLog({ requests }: { requests: LiveRequest[] }) {
  const box = useStickToBottom<HTMLDivElement>(requests.length);
  if (requests.length === 0) return <p class="muted">No requests captured yet.</p>;
  return (
    <div class="log-scroll" ref={box} tabIndex={0} role="region" aria-label="Captured requests, oldest first">
      <ol class="request-log">
        {requests.map((r, i) => (
          <li key={i}>
            <span class={`method method-${r.method.toLowerCase()}`}>{r.method}</span> <span class={`status ${statusClass(r.status)}`}>{r.status || 'failed'}</span> <code class="request-url">{r.url}</code>
          </li>
        ))}
      </ol>
    </div>
  );
}
