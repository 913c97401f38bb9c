/**
 * The live view of an open recording: WebSocket /v1/recordings/:id/live, same origin, so the
 * sign-in cookie goes along (a key never goes in the URL). Binary messages are JPEG frames of the
 * remote page, handed to whoever listens (the canvas) without going through Preact state; JSON
 * messages keep the recording, its size, the action log and the captured requests current.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, isApiError } from './api.js';
import type { Action, LiveRequest, Recording } from './types.js';

export type LiveConnection = 'connecting' | 'live' | 'closed' | 'stopped';

export interface LiveProblem {
  code: string;
  message: string;
}

/** What the viewer sends (positions are fractions of the shown frame, 0..1 from left and top). */
export type ViewerMessage =
  | { type: 'mouse'; action: 'move' | 'down' | 'up'; x: number; y: number; button?: 'left' | 'middle' | 'right'; clickCount?: number }
  | { type: 'wheel'; x: number; y: number; dx: number; dy: number }
  | { type: 'key'; action: 'down' | 'up'; key: string }
  | { type: 'text'; text: string }
  | { type: 'viewport'; width: number; height: number }
  | { type: 'mark'; index: number; input?: string | null; secret?: boolean };

export interface LiveRecording {
  connection: LiveConnection;
  recording?: Recording;
  /** The remote page's size in CSS pixels. */
  viewport?: { width: number; height: number };
  actions: Action[];
  requests: LiveRequest[];
  problem?: LiveProblem;
  /** The workflow learned when the recording stopped. */
  workflowId?: string;
  /** Sends when the socket is open; dropped otherwise. */
  send: (msg: ViewerMessage) => void;
  /** Calls `fn` with each JPEG frame; returns the way to stop. */
  onFrame: (fn: (jpeg: ArrayBuffer) => void) => () => void;
  /** Opens a new socket after the last one closed. */
  reconnect: () => void;
}

/** Puts `items` into `list` from index `from` on (what the server sends as the logs grow). */
const spliceFrom = <T,>(list: T[], from: number, items: T[]): T[] => [...list.slice(0, from), ...items, ...list.slice(from + items.length)];

export function useLiveRecording(id: string, onStopped: (workflowId: string) => void): LiveRecording {
  const [connection, setConnection] = useState<LiveConnection>('connecting');
  const [recording, setRecording] = useState<Recording>();
  const [viewport, setViewport] = useState<{ width: number; height: number }>();
  const [actions, setActions] = useState<Action[]>([]);
  const [requests, setRequests] = useState<LiveRequest[]>([]);
  const [problem, setProblem] = useState<LiveProblem>();
  const [workflowId, setWorkflowId] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const socket = useRef<WebSocket | undefined>(undefined);
  const frameListeners = useRef(new Set<(jpeg: ArrayBuffer) => void>());
  const stopped = useRef(onStopped);
  stopped.current = onStopped;

  useEffect(() => {
    let current = true;
    let opened = false;
    let told = false; // the server said why before closing
    let ended = false;
    setConnection('connecting');
    setProblem(undefined);
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/recordings/${encodeURIComponent(id)}/live`);
    ws.binaryType = 'arraybuffer';
    socket.current = ws;

    ws.onopen = () => {
      opened = true;
      if (current) setConnection('live');
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (!current) return;
      if (typeof e.data !== 'string') {
        for (const fn of frameListeners.current) fn(e.data);
        return;
      }
      let msg: Record<string, any>;
      try {
        msg = JSON.parse(e.data) as Record<string, any>;
      } catch {
        return; // not ours to read
      }
      switch (msg.type) {
        case 'hello':
          setRecording(msg.recording as Recording);
          setActions((msg.recording as Recording).actions ?? []);
          break;
        case 'viewport':
          setViewport({ width: msg.width, height: msg.height });
          break;
        case 'actions':
          setActions((list) => spliceFrom(list, msg.from, msg.actions as Action[]));
          break;
        case 'requests':
          setRequests((list) => spliceFrom(list, msg.from, msg.requests as LiveRequest[]));
          break;
        case 'marked':
          setActions((list) => spliceFrom(list, msg.index, [msg.action as Action]));
          break;
        case 'stopped':
          ended = true;
          setWorkflowId(msg.workflowId);
          setConnection('stopped');
          stopped.current(msg.workflowId as string);
          break;
        case 'error':
          told = true;
          setProblem({ code: String(msg.code), message: String(msg.message) });
          break;
      }
    };
    ws.onclose = (e) => {
      if (!current || ended) return;
      setConnection('closed');
      if (e.code >= 4000) {
        if (!told) setProblem({ code: e.reason || `closed_${e.code}`, message: `The server closed the live view (${e.code - 4000}${e.reason ? `: ${e.reason}` : ''}).` });
        return;
      }
      if (opened) {
        setProblem((p) => p ?? { code: 'disconnected', message: 'The live view was disconnected. The recording goes on in the server until it is stopped or left idle; reconnect to see it again.' });
        return;
      }
      // A refused handshake says nothing to a page: the API says why (a 401 goes to the sign-in page).
      api.recording(id).then(
        (r) =>
          current &&
          setProblem(
            r.status === 'recording'
              ? { code: 'refused', message: 'The server refused the live view of this recording.' }
              : { code: 'recording_not_active', message: `This recording is ${r.status}: it can no longer be viewed live.` },
          ),
        (err: unknown) => current && setProblem({ code: isApiError(err) ? err.code : 'refused', message: isApiError(err) ? err.message : 'The live view could not connect.' }),
      );
    };
    return () => {
      current = false;
      socket.current = undefined;
      ws.close(1000, 'viewer left');
    };
  }, [id, attempt]);

  const send = useCallback((msg: ViewerMessage) => {
    const ws = socket.current;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }, []);

  const onFrame = useCallback((fn: (jpeg: ArrayBuffer) => void) => {
    frameListeners.current.add(fn);
    return () => frameListeners.current.delete(fn);
  }, []);

  const reconnect = useCallback(() => setAttempt((n) => n + 1), []);

  return { connection, recording, viewport, actions, requests, problem, workflowId, send, onFrame, reconnect };
}
