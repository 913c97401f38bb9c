/**
 * Roles, accessible names, and Playwright's text and label engines, modelled in the page for
 * selector choice (selector-choice.ts): written after Playwright's roleUtils and engines, for the
 * roles and selectors a recording names elements by.
 *
 * Runs in the page, serialised with the capture script: it must not use anything from the module
 * scope (type imports only).
 */
import type { SelectorKit } from './selector-kit.js';

export interface SelectorNames {
  implicitRole: (el: Element) => string;
  /** Elements of a role (explicit or implicit). */
  ofRole: (role: string) => Element[];
  hiddenForAria: (e: Element) => boolean;
  /** The accessible name, glyphs included, whitespace-normalised. */
  accessibleName: (el: Element) => string;
  /** Playwright's text of an element or shadow root (memoised until reset). */
  fullText: (n: Element | ShadowRoot) => string;
  elText: (e: Element) => string;
  /** The element's own runs of text, between its child elements. */
  ownRuns: (e: Element) => string[];
  /** What Playwright's label engine matches an element by. */
  labelsOf: (e: Element) => string[];
  /** The label a person reads for a control: its <label> without the controls it wraps. */
  ownLabel: (el: Element) => string;
  /** Forgets memoised texts: the page may have changed since. */
  reset: () => void;
}

export function selectorNames(kit: SelectorKit): SelectorNames {
  const { norm, all } = kit;

  // ---- roles and accessible names (after Playwright's roleUtils, for the roles this names)
  const implicitRole = (el: Element): string => {
    const explicit = norm(el.getAttribute('role')).split(' ')[0];
    if (explicit) return explicit;
    const tag = el.localName;
    if (tag === 'button') return 'button';
    if ((tag === 'a' || tag === 'area') && el.hasAttribute('href')) return 'link';
    if (tag === 'input') {
      const t = (el as HTMLInputElement).type;
      if (['button', 'submit', 'reset', 'image'].includes(t)) return 'button';
      if (t === 'checkbox' || t === 'radio') return t;
    }
    return '';
  };
  const ROLE_CSS: Record<string, string> = {
    button: 'button,input[type=button],input[type=submit],input[type=reset],input[type=image],[role]',
    link: 'a[href],area[href],[role]',
    checkbox: 'input[type=checkbox],[role]',
    radio: 'input[type=radio],[role]',
  };
  const ofRole = (role: string) => all(ROLE_CSS[role] ?? '[role]').filter((x) => implicitRole(x) === role);
  const hiddenForAria = (e: Element) =>
    !!e.closest('[aria-hidden="true"]') || (typeof e.checkVisibility === 'function' && !e.checkVisibility({ visibilityProperty: true } as CheckVisibilityOptions));
  const pseudo = (e: Element, which: '::before' | '::after') => {
    const c = getComputedStyle(e, which).content;
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(c ?? '');
    return m ? m[1]!.replace(/\\(.)/g, '$1') : '';
  };
  const hiddenStyle = (e: Element) => {
    const s = getComputedStyle(e);
    return s.display === 'none' || s.visibility === 'hidden' || s.visibility === 'collapse';
  };
  const fromContent = (e: Element, depth = 0): string => {
    let out = pseudo(e, '::before');
    for (const n of Array.from(e.childNodes)) {
      if (n.nodeType === Node.TEXT_NODE) out += n.nodeValue ?? '';
      if (!(n instanceof Element) || depth > 20) continue;
      if (n.getAttribute('aria-hidden') === 'true' || hiddenStyle(n) || ['script', 'style', 'noscript', 'template'].includes(n.localName)) continue;
      const block = getComputedStyle(n).display.startsWith('inline') ? '' : ' ';
      const label = norm(n.getAttribute('aria-label'));
      const own = label || (n.localName === 'img' ? n.getAttribute('alt') ?? '' : n.localName === 'svg' ? n.querySelector('title')?.textContent ?? '' : fromContent(n, depth + 1));
      out += block + own + block;
    }
    return out + pseudo(e, '::after');
  };
  const textOfIds = (ids: string) =>
    ids
      .split(/\s+/)
      .map((id) => document.getElementById(id))
      .filter((x): x is HTMLElement => !!x)
      .map((x) => norm(x.getAttribute('aria-label')) || fromContent(x))
      .join(' ');
  /** The accessible name, glyphs included, whitespace-normalised. */
  const accessibleName = (el: Element): string => {
    const by = el.getAttribute('aria-labelledby');
    if (by && norm(textOfIds(by))) return norm(textOfIds(by));
    const aria = norm(el.getAttribute('aria-label'));
    if (aria) return aria;
    if (el instanceof HTMLInputElement) {
      if (['submit', 'button', 'reset'].includes(el.type)) return norm(el.value) || (el.type === 'submit' ? 'Submit' : el.type === 'reset' ? 'Reset' : '');
      if (el.type === 'image') return norm(el.alt) || norm(el.value) || 'Submit';
    }
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length) return norm(Array.from(labels).map((l) => fromContent(l)).join(' '));
    return norm(fromContent(el)) || norm(el.getAttribute('title'));
  };
  // ---- Playwright's text and label engines
  const textMemo = new Map<Node, string>();
  const fullText = (n: Element | ShadowRoot): string => {
    let t = textMemo.get(n);
    if (t !== undefined) return t;
    t = '';
    if (n instanceof Element && ['script', 'noscript', 'style'].includes(n.localName)) t = '';
    else if (n instanceof HTMLInputElement && ['submit', 'button', 'reset'].includes(n.type)) t = n.value;
    else {
      for (const c of Array.from(n.childNodes)) t += c.nodeType === Node.TEXT_NODE ? c.nodeValue ?? '' : c instanceof Element ? fullText(c) : '';
      if (n instanceof Element && n.shadowRoot) t += fullText(n.shadowRoot);
    }
    textMemo.set(n, t);
    return t;
  };
  const elText = (e: Element) => norm(fullText(e));
  const ownRuns = (e: Element): string[] => {
    if (e instanceof HTMLInputElement && ['submit', 'button', 'reset'].includes(e.type)) return [norm(e.value)];
    const runs: string[] = [];
    let run = '';
    for (const c of Array.from(e.childNodes)) {
      if (c.nodeType === Node.TEXT_NODE) run += c.nodeValue ?? '';
      else if (c.nodeType === Node.ELEMENT_NODE) {
        if (run) runs.push(norm(run));
        run = '';
      }
    }
    if (run) runs.push(norm(run));
    return runs;
  };
  const labelsOf = (e: Element): string[] => {
    const by = e.getAttribute('aria-labelledby');
    if (by) {
      const refs = by.split(/\s+/).map((id) => document.getElementById(id)).filter((x): x is HTMLElement => !!x);
      if (refs.length) return refs.map(elText);
    }
    const aria = e.getAttribute('aria-label');
    if (aria !== null && aria.trim()) return [norm(aria)];
    const labels = (e as HTMLInputElement).labels;
    return labels ? Array.from(labels).map(elText) : [];
  };
  /** The label a person reads for a control: its <label> without the controls it wraps. */
  const ownLabel = (el: Element): string => {
    const labels = (el as HTMLInputElement).labels;
    if (!labels || !labels.length || el.hasAttribute('aria-labelledby') || el.hasAttribute('aria-label')) return '';
    const clone = labels[0]!.cloneNode(true) as HTMLElement;
    clone.querySelectorAll('input,select,textarea,button').forEach((n) => n.remove());
    return norm(clone.textContent);
  };

  return { implicitRole, ofRole, hiddenForAria, accessibleName, fullText, elText, ownRuns, labelsOf, ownLabel, reset: () => textMemo.clear() };
}
