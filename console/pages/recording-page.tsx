/**
 * The live view of one recording: the remote page as a picture you use with the mouse and keyboard,
 * the action log (typed values can be named as inputs or made secret), the captured requests, and
 * "Stop and learn", which opens the learned workflow.
 */
import { useCallback, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useLiveRecording, type LiveConnection } from '../live-recording.js';
import { go, hrefOf } from '../router.js';
import { ActionLog } from '../components/action-log.js';
import { ErrorBox } from '../components/error-box.js';
import { LEAVE_KEY, LiveCanvas } from '../components/live-canvas.js';
import { RequestLog } from '../components/request-log.js';

const STATUS: Record<LiveConnection, string> = {
  connecting: 'Connecting to the recording…',
  live: 'Live: the picture is the remote page.',
  closed: 'Not connected.',
  stopped: 'The recording stopped; opening its workflow…',
};

export function RecordingPage({ id }: { id: string }) {
  const live = useLiveRecording(id, (workflowId) => go(hrefOf.workflow(workflowId)));
  const [stopping, setStopping] = useState(false);
  const [stopError, setStopError] = useState<unknown>();
  const stopButton = useRef<HTMLButtonElement>(null);
  const leave = useCallback(() => stopButton.current?.focus(), []);

  const stop = async () => {
    setStopping(true);
    setStopError(undefined);
    try {
      const { workflow } = await api.stopRecording(id);
      go(hrefOf.workflow(workflow.id));
    } catch (e) {
      setStopError(e);
      setStopping(false);
    }
  };

  const rec = live.recording;
  const status = stopping ? 'Stopping and learning the workflow…' : STATUS[live.connection];
  const ended = live.connection === 'stopped' || (live.connection === 'closed' && live.problem?.code === 'recording_not_active');
  return (
    <>
      <p class="breadcrumb">
        <a href={hrefOf.record()}>← Record</a>
      </p>
      <div class="title-bar">
        <h1>{rec ? rec.name : 'Recording'}</h1>
        <span class="spacer" />
        <button ref={stopButton} type="button" class="button-primary" onClick={stop} disabled={stopping || ended}>
          {stopping ? 'Stopping…' : 'Stop and learn'}
        </button>
      </div>
      <div class="record-meta">
        <p class={`live-status live-status-${live.connection}`} role="status" aria-live="polite">
          {status}
        </p>
        {rec?.startUrl && (
          <p class="muted small">
            Started at <code>{rec.startUrl}</code>
          </p>
        )}
      </div>
      {stopError !== undefined ? (
        <ErrorBox error={stopError} title="The workflow could not be learned" />
      ) : (
        live.problem && (
          <div class="error-box" role="alert">
            <p>{live.problem.message}</p>
            {live.connection === 'closed' && live.problem.code === 'disconnected' && (
              <button type="button" onClick={live.reconnect}>
                Reconnect
              </button>
            )}
          </div>
        )
      )}

      <div class="record-layout">
        <section class="card live-card" aria-labelledby="live-title">
          <h2 id="live-title" class="visually-hidden">
            Live view
          </h2>
          <LiveCanvas live={live} hintId="live-hint" onLeave={leave} />
          <p id="live-hint" class="muted small live-hint">
            Click the picture, then type: keys (Tab, Backspace, arrows too) and pasted text go to the remote page; <kbd>{LEAVE_KEY}</kbd> gives the keyboard back to the console. Closing this tab
            does not stop the recording: it goes on until its idle timeout.
          </p>
        </section>
        <div class="record-side">
          <section class="card action-log-card" aria-labelledby="actions-title">
            <h2 id="actions-title">
              Actions <span class="count">{live.actions.length}</span>
            </h2>
            <ActionLog actions={live.actions} send={live.send} editable={live.connection === 'live'} />
          </section>
          <section class="card" aria-labelledby="requests-title">
            <h2 id="requests-title">
              Requests <span class="count">{live.requests.length}</span>
            </h2>
            <RequestLog requests={live.requests} />
          </section>
        </div>
      </div>
    </>
  );
}
