/** Keeps a scrolling log at its newest (bottom) line as it grows, unless the person scrolled up to read. */
import type { RefObject } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

/** Within this many pixels of the bottom counts as "at the bottom". */
const NEAR_PX = 40;

export function useStickToBottom<T extends HTMLElement>(length: number): RefObject<T | null> {
  const box = useRef<T>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const onScroll = () => (atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_PX);
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [length]);
  return box;
}
