/** Whether the run list is following the server's run events. */
import type { LiveState } from '../run-events.js';

const TEXT: Record<LiveState, string> = { live: 'live', connecting: 'connecting…', offline: 'not live: reload to update' };

export function LiveBadge({ state }: { state: LiveState }) {
  return <span class={`live-badge live-${state}`}>{TEXT[state]}</span>;
}
