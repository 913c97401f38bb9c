/**
 * The remote page as a picture that takes the mouse and the keyboard. The newest frame is drawn
 * (frames that come while one decodes wait, and only the newest of them is drawn); input goes to
 * the server with positions as fractions of the picture, so its size on screen does not matter.
 * The stage around the picture sets the remote page's size (ResizeObserver, debounced).
 */
import { useEffect, useRef } from 'preact/hooks';
import type { LiveRecording } from '../live-recording.js';

/** The key that gives the keyboard back to the console (every other key goes to the remote page). */
export const LEAVE_KEY = 'F8';
const RESIZE_DEBOUNCE_MS = 200;
const BUTTONS = ['left', 'middle', 'right'] as const;
/** Pixels a wheel "line" or "page" stands for (WheelEvent.deltaMode 1 and 2). */
const LINE_PX = 16;

interface Props {
  live: Pick<LiveRecording, 'send' | 'onFrame' | 'viewport' | 'connection'>;
  /** Id of the text that explains how to use it (aria-describedby). */
  hintId: string;
  /** Where focus goes when the person leaves the picture with the leave key. */
  onLeave: () => void;
}

export function LiveCanvas({ live, hintId, onLeave }: Props) {
  const stage = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const { send, onFrame, viewport, connection } = live;

  // frames: decode the newest, draw it at its own size (the canvas's box keeps that aspect ratio)
  useEffect(() => {
    let decoding = false;
    let waiting: ArrayBuffer | undefined;
    let painted = 0;
    let alive = true;
    const draw = async (jpeg: ArrayBuffer) => {
      decoding = true;
      try {
        const bitmap = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
        const c = canvas.current;
        if (alive && c) {
          if (c.width !== bitmap.width) c.width = bitmap.width;
          if (c.height !== bitmap.height) c.height = bitmap.height;
          c.getContext('2d')?.drawImage(bitmap, 0, 0);
          c.dataset.frames = String(++painted);
        }
        bitmap.close();
      } catch {
        // a frame that does not decode is skipped; the next one replaces it
      } finally {
        decoding = false;
        const next = waiting;
        waiting = undefined;
        if (next && alive) void draw(next);
      }
    };
    const stop = onFrame((jpeg) => {
      if (decoding) waiting = jpeg;
      else void draw(jpeg);
    });
    return () => {
      alive = false;
      stop();
    };
  }, [onFrame]);

  // the stage's size becomes the remote page's size (the server keeps it within 320–1920 × 240–1200);
  // only once the server told the page's size: input sent before its view is attached is dropped
  const attached = connection === 'live' && viewport !== undefined;
  useEffect(() => {
    const el = stage.current;
    if (!el || !attached) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sent = '';
    const report = () => {
      const width = Math.round(el.clientWidth);
      const height = Math.round(el.clientHeight);
      if (width < 1 || height < 1 || `${width}x${height}` === sent) return;
      sent = `${width}x${height}`;
      send({ type: 'viewport', width, height });
    };
    report();
    const observer = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(report, RESIZE_DEBOUNCE_MS);
    });
    observer.observe(el);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, [attached, send]);

  // input: mouse moves and wheel turns at most once an animation frame; buttons, keys and text as they come
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const at = (e: MouseEvent) => {
      const r = c.getBoundingClientRect();
      const clamp = (v: number) => Math.min(1, Math.max(0, v));
      return { x: clamp((e.clientX - r.left) / r.width), y: clamp((e.clientY - r.top) / r.height) };
    };
    let move: { x: number; y: number } | undefined;
    let wheel: { x: number; y: number; dx: number; dy: number } | undefined;
    let frame = 0;
    const flush = () => {
      frame = 0;
      if (move) send({ type: 'mouse', action: 'move', ...move });
      if (wheel) send({ type: 'wheel', ...wheel });
      move = wheel = undefined;
    };
    const later = () => (frame ||= requestAnimationFrame(flush));
    const button = (e: MouseEvent) => BUTTONS[e.button] ?? 'left';
    const clickCount = (e: MouseEvent) => Math.min(3, Math.max(1, e.detail || 1));

    const onUp = (e: MouseEvent) => {
      window.removeEventListener('mouseup', onUp, true);
      flush();
      send({ type: 'mouse', action: 'up', ...at(e), button: button(e), clickCount: clickCount(e) });
    };
    const onDown = (e: MouseEvent) => {
      e.preventDefault(); // no text selection in the console; focus is given below
      c.focus();
      flush();
      send({ type: 'mouse', action: 'down', ...at(e), button: button(e), clickCount: clickCount(e) });
      // the button may come up outside the picture (a drag): it is still the remote page's
      window.addEventListener('mouseup', onUp, true);
    };
    const onMove = (e: MouseEvent) => {
      move = at(e);
      later();
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const scale = e.deltaMode === 1 ? LINE_PX : e.deltaMode === 2 ? c.clientHeight : 1;
      const p = at(e);
      wheel = { ...p, dx: (wheel?.dx ?? 0) + e.deltaX * scale, dy: (wheel?.dy ?? 0) + e.deltaY * scale };
      later();
    };
    const isPaste = (e: KeyboardEvent) => ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'v') || (e.shiftKey && e.key === 'Insert');
    const onKey = (e: KeyboardEvent) => {
      if (e.key === LEAVE_KEY) {
        if (e.type === 'keydown') {
          e.preventDefault();
          onLeave();
        }
        return;
      }
      // the paste shortcut stays the console's: its text comes as one `text` message (onPaste)
      if (isPaste(e) || e.isComposing || e.key === 'Dead' || e.key === 'Unidentified' || e.key.length > 32) return;
      e.preventDefault(); // Tab, Backspace, arrows… act in the remote page, not here
      send({ type: 'key', action: e.type === 'keydown' ? 'down' : 'up', key: e.key });
    };
    const onPaste = (e: ClipboardEvent) => {
      e.preventDefault();
      const text = e.clipboardData?.getData('text/plain') ?? '';
      for (let i = 0; i < text.length; i += 10_000) send({ type: 'text', text: text.slice(i, i + 10_000) });
    };
    const noMenu = (e: Event) => e.preventDefault(); // the right button is the remote page's

    c.addEventListener('mousedown', onDown);
    c.addEventListener('mousemove', onMove);
    c.addEventListener('wheel', onWheel, { passive: false });
    c.addEventListener('keydown', onKey);
    c.addEventListener('keyup', onKey);
    c.addEventListener('paste', onPaste);
    c.addEventListener('contextmenu', noMenu);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('mouseup', onUp, true);
      c.removeEventListener('mousedown', onDown);
      c.removeEventListener('mousemove', onMove);
      c.removeEventListener('wheel', onWheel);
      c.removeEventListener('keydown', onKey);
      c.removeEventListener('keyup', onKey);
      c.removeEventListener('paste', onPaste);
      c.removeEventListener('contextmenu', noMenu);
    };
  }, [send, onLeave]);

  return (
    <div class="live-stage" ref={stage}>
      <canvas
        ref={canvas}
        class="live-canvas"
        tabIndex={0}
        role="application"
        aria-label="Live view of the recording: click to focus, then type"
        aria-describedby={hintId}
        width={viewport?.width ?? 1280}
        height={viewport?.height ?? 720}
        data-remote-width={viewport?.width}
        data-remote-height={viewport?.height}
      />
    </div>
  );
}
