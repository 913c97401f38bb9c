/**
 * The script injected into every frame of a recording (context.addInitScript). It watches what the
 * person does and reports it through the `__rfRecord` binding, each element named by the
 * selectors that resolve to exactly it (selector-choice.ts), best first. It also exposes
 * `__rfDescribe(el)` (those selectors + input name + secret flag of an element, used for scripted
 * actions so that both kinds of recording describe elements alike), `__rfFlush()` (reports
 * pending typing), and, for ActionCapture's check with Playwright's own engines, `__rfTarget(ref)`
 * (the element an event was about) and `__rfRecheck(ref)` (whether each of its selectors still
 * resolves to it, by the in-page model).
 *
 * Written as a function so that it is type-checked; it runs in the page, so it must not use
 * anything from the module scope. Serialised by captureScriptSource().
 */
import { selectorChoice, type Candidate, type CheckedCandidate, type SelectorChoice } from './selector-choice.js';
import { selectorCssPath } from './selector-css-path.js';
import { selectorKit } from './selector-kit.js';
import { selectorNames } from './selector-names.js';

export const BINDING = '__rfRecord';

/**
 * What the page reports. `nav` = the top document is about to navigate by itself (link, form,
 * script); `active` = the person is moving the mouse, scrolling or typing (keeps the recording
 * from going idle; sent at most every few seconds).
 */
export interface CaptureEvent {
  kind: 'click' | 'fill' | 'press' | 'select' | 'nav' | 'active';
  /** The page's choice: the first of `candidates`. */
  selector?: string;
  /** Every selector that resolved to exactly the element when it was acted on, best first. */
  candidates?: string[];
  /** Names the element for `__rfTarget`/`__rfRecheck` while the document lives. */
  ref?: string;
  /** In a same-origin frame: the selector of each frame element from the top down. */
  frames?: string[];
  value?: string;
  key?: string;
  input?: string;
  secret?: boolean;
  url?: string;
  top?: boolean;
}

export interface ElementInfo {
  selector: string;
  candidates: Candidate[];
  input: string;
  secret: boolean;
}

function pageScript(binding: string, makeChooser: (echoesTyping: (text: string) => boolean) => SelectorChoice): void {
  const w = window as unknown as Record<string, unknown>;
  if (w.__rfInstalled) return;
  Object.defineProperty(w, '__rfInstalled', { value: true });
  const top = window.top === window;

  const send = (ev: Record<string, unknown>) => {
    ev.url = location.href;
    ev.top = top;
    const fn = w[binding] as ((e: unknown) => Promise<unknown>) | undefined;
    if (typeof fn === 'function') fn(ev).catch(() => undefined);
  };

  const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

  const TEXT_TYPES = ['', 'text', 'email', 'search', 'tel', 'url', 'password', 'number', 'date', 'datetime-local', 'month', 'week', 'time', 'color'];
  const isTextField = (el: Element) =>
    el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && TEXT_TYPES.includes(el.type)) || (el instanceof HTMLElement && el.isContentEditable);

  // What the person typed (not secrets) is kept for the tab: a link or button whose name echoes
  // it ("My new item" after creating "My new item") must not be selected by that text, or the
  // selector breaks as soon as a run types something else.
  const TYPED_KEY = '__rf_typed';
  const typedValues = (): string[] => {
    try {
      return JSON.parse(sessionStorage.getItem(TYPED_KEY) ?? '[]') as string[];
    } catch {
      return [];
    }
  };
  const remember = (v: string) => {
    const t = norm(v).toLowerCase();
    if (t.length < 3) return;
    try {
      const all = typedValues();
      if (!all.includes(t)) sessionStorage.setItem(TYPED_KEY, JSON.stringify([...all, t].slice(-50)));
    } catch {
      /* storage disabled: selectors may then echo typed text */
    }
  };
  const echoesTyping = (text: string) => {
    const low = text.toLowerCase();
    return typedValues().some((t) => low.includes(t));
  };

  const chooser = makeChooser(echoesTyping);

  const snake = (s: string) =>
    s
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40)
      .replace(/_+$/, '');

  const labelText = (el: Element): string => {
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length) {
      // The label may wrap the control: leave out the control's own text.
      const clone = labels[0]!.cloneNode(true) as HTMLElement;
      clone.querySelectorAll('input,select,textarea,option').forEach((n) => n.remove());
      const t = norm(clone.textContent);
      if (t) return t;
    }
    return norm(el.getAttribute('aria-label'));
  };

  const inputName = (el: Element): string => {
    for (const c of [labelText(el), el.getAttribute('name'), el.getAttribute('placeholder'), el.id]) {
      const s = snake(c ?? '');
      if (s) return /^\d/.test(s) ? `field_${s}` : s;
    }
    return 'field';
  };

  const SECRET_WORDS = ['password', 'passwd', 'pass', 'pwd', 'passcode', 'passphrase', 'secret', 'token', 'otp', 'totp', 'pin', 'cvv', 'cvc', 'mfa'];
  const isSecret = (el: Element): boolean => {
    if (el instanceof HTMLInputElement && el.type === 'password') return true;
    const ac = (el.getAttribute('autocomplete') ?? '').toLowerCase();
    if (/current-password|new-password|one-time-code|cc-csc/.test(ac)) return true;
    for (const c of [el.getAttribute('name'), el.id, labelText(el), el.getAttribute('placeholder')]) {
      const words = snake(c ?? '').split('_');
      if (words.some((x) => SECRET_WORDS.includes(x)) || /password|passwd|secret|token/.test(snake(c ?? ''))) return true;
    }
    return false;
  };

  const describe = (el: Element): ElementInfo => {
    const c = chooser.candidates(el);
    return { selector: c[0]!.selector, candidates: c.map(({ selector, kind }) => ({ selector, kind })), input: inputName(el), secret: isSecret(el) };
  };
  Object.defineProperty(w, '__rfDescribe', { value: describe });

  // The elements events were about, for ActionCapture's check with Playwright (a few recent ones).
  const refs = new Map<string, { el: Element; checked: CheckedCandidate[] }>();
  const doc = Math.random().toString(36).slice(2, 10);
  let seq = 0;
  Object.defineProperty(w, '__rfTarget', { value: (ref: string) => refs.get(ref)?.el });
  Object.defineProperty(w, '__rfRecheck', { value: (ref: string) => refs.get(ref)?.checked.map((c) => c.holds()) ?? null });

  // The frame elements above this document, when every one is same-origin (else ActionCapture asks Playwright).
  const framePath = (): string[] | undefined => {
    const out: string[] = [];
    try {
      for (let win: Window = window; win !== win.top; win = win.parent) {
        const fn = (win.parent as unknown as Record<string, unknown>).__rfDescribe as ((e: Element) => ElementInfo) | undefined;
        if (!win.frameElement || typeof fn !== 'function') return undefined;
        out.unshift(fn(win.frameElement).selector);
      }
    } catch {
      return undefined; // a cross-origin parent
    }
    return out;
  };

  const about = (el: Element, checked: CheckedCandidate[] = chooser.candidates(el)) => {
    const ref = `${doc}.${++seq}`;
    refs.set(ref, { el, checked });
    if (refs.size > 50) refs.delete(refs.keys().next().value!);
    return { selector: checked[0]!.selector, candidates: checked.map((c) => c.selector), ref, frames: top ? undefined : framePath() };
  };

  const valueOf = (el: Element) => (el instanceof HTMLElement && el.isContentEditable && !('value' in el) ? el.innerText : String((el as HTMLInputElement).value ?? ''));

  // A field is named as it was before the typing: a replay fills it in that state, and pages
  // relabel fields as they fill (aria-label "Empty block" → "Block: Paragraph"). Selectors that
  // hold before and after come first, as they do not depend on what the field contains.
  const beforeTyping = new WeakMap<Element, CheckedCandidate[]>();
  const dirty = new Set<Element>();
  const typing = (el: Element) => {
    if (!beforeTyping.has(el)) beforeTyping.set(el, chooser.candidates(el));
  };
  const flush = (el: Element) => {
    if (!dirty.delete(el) || !el.isConnected) return;
    const before = beforeTyping.get(el);
    beforeTyping.delete(el);
    let checked = before;
    if (before) {
      const now = before.map((c) => c.holds());
      checked = [...before.filter((_, i) => now[i]), ...before.filter((_, i) => !now[i])];
    }
    const secret = isSecret(el);
    if (!secret) remember(valueOf(el));
    send({ kind: 'fill', value: valueOf(el), input: inputName(el), secret, ...about(el, checked) });
  };
  const flushAll = () => [...dirty].forEach(flush);
  Object.defineProperty(w, '__rfFlush', { value: flushAll });

  const targetOf = (e: Event) => (e.composedPath()[0] ?? e.target) as Element;
  const CLICKABLE = 'button,a[href],input,select,textarea,label,summary,[role=button],[role=link],[role=checkbox],[role=radio],[role=tab],[role=menuitem],[role=option],[role=switch],[onclick],[data-testid]';

  document.addEventListener(
    'beforeinput',
    (e) => {
      const el = targetOf(e);
      if (el instanceof Element && isTextField(el)) typing(el);
    },
    true,
  );
  document.addEventListener(
    'input',
    (e) => {
      const el = targetOf(e);
      if (!(el instanceof Element) || !isTextField(el)) return;
      typing(el); // autofill and scripts fire no beforeinput
      dirty.add(el);
    },
    true,
  );
  document.addEventListener(
    'change',
    (e) => {
      const el = targetOf(e);
      if (el instanceof HTMLSelectElement) {
        // Typing elsewhere came first, even when the select was changed without taking focus.
        flushAll();
        send({ kind: 'select', value: el.value, input: inputName(el), secret: isSecret(el), ...about(el) });
      }
      else if (el instanceof Element && isTextField(el)) {
        dirty.add(el);
        flush(el);
      }
    },
    true,
  );
  document.addEventListener('focusout', (e) => flush(targetOf(e)), true);
  document.addEventListener('submit', flushAll, true);
  window.addEventListener('pagehide', flushAll, true);
  document.addEventListener(
    'click',
    (e) => {
      // detail 0: a click the page synthesised (Enter in a form, a label forwarding to its control).
      if (!e.isTrusted || e.detail === 0) return;
      const start = targetOf(e);
      if (!(start instanceof Element)) return;
      const el = start.closest(CLICKABLE) ?? start;
      if (isTextField(el) || el instanceof HTMLSelectElement) return;
      if (el instanceof HTMLLabelElement && el.control && (isTextField(el.control) || el.control instanceof HTMLSelectElement)) return;
      flushAll();
      send({ kind: 'click', ...about(el) });
    },
    true,
  );
  document.addEventListener(
    'keydown',
    (e) => {
      if (!e.isTrusted || e.isComposing || (e.key !== 'Enter' && e.key !== 'Escape')) return;
      const el = targetOf(e);
      if (!(el instanceof Element)) return;
      flushAll();
      const mods = [e.ctrlKey && 'Control', e.altKey && 'Alt', e.metaKey && 'Meta', e.shiftKey && 'Shift'].filter(Boolean);
      const key = [...mods, e.key].join('+');
      if (el === document.body || el === document.documentElement) send({ kind: 'press', selector: 'body', key, frames: top ? undefined : framePath() });
      else send({ kind: 'press', key, ...about(el) });
    },
    true,
  );
  let lastActive = 0;
  const active = () => {
    const now = Date.now();
    if (now - lastActive < 5000) return;
    lastActive = now;
    send({ kind: 'active' });
  };
  for (const type of ['pointermove', 'wheel', 'keydown', 'scroll']) window.addEventListener(type, active, { capture: true, passive: true });
  // The Navigation API's navigate event fires only for navigations this document starts (links,
  // forms, scripts), never for the address bar: what tells a caused navigation from a `goto`.
  const nav = (w as { navigation?: EventTarget }).navigation;
  if (top && nav) nav.addEventListener('navigate', () => send({ kind: 'nav' }));
}

/** The injected script's source, with a stand-in for the `__name` helper that tsx/esbuild may add. */
export function captureScriptSource(): string {
  const parts = `{ kit: ${selectorKit.toString()}, names: ${selectorNames.toString()}, cssPath: ${selectorCssPath.toString()} }`;
  const makeChooser = `(echoesTyping) => (${selectorChoice.toString()})(echoesTyping, ${parts})`;
  return `(() => { const __name = (f) => f; (${pageScript.toString()})(${JSON.stringify(BINDING)}, ${makeChooser}); })();`;
}
