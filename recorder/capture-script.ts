/**
 * The script injected into every frame of a recording (context.addInitScript). It watches what the
 * person does and reports it through the `__rfRecord` binding; it also exposes `__rfDescribe(el)`
 * (robust selector + input name + secret flag of an element, used for scripted actions so that
 * both kinds of recording describe elements alike) and `__rfFlush()` (reports pending typing).
 *
 * Written as a function so that it is type-checked; it runs in the page, so it must not use
 * anything from the module scope. Serialised by captureScriptSource().
 */
export const BINDING = '__rfRecord';

/**
 * What the page reports. `nav` = the top document is about to navigate by itself (link, form,
 * script); `active` = the person is moving the mouse, scrolling or typing (keeps the recording
 * from going idle; sent at most every few seconds).
 */
export interface CaptureEvent {
  kind: 'click' | 'fill' | 'press' | 'select' | 'nav' | 'active';
  selector?: string;
  value?: string;
  key?: string;
  input?: string;
  secret?: boolean;
  url?: string;
  top?: boolean;
}

export interface ElementInfo {
  selector: string;
  input: string;
  secret: boolean;
}

function pageScript(binding: string): void {
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
  const q = (s: string) => JSON.stringify(s);
  const unique = (css: string) => {
    try {
      return document.querySelectorAll(css).length === 1;
    } catch {
      return false;
    }
  };

  const TEXT_TYPES = ['', 'text', 'email', 'search', 'tel', 'url', 'password', 'number', 'date', 'datetime-local', 'month', 'week', 'time', 'color'];
  const isTextField = (el: Element) =>
    el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && TEXT_TYPES.includes(el.type)) || (el instanceof HTMLElement && el.isContentEditable);

  const implicitRole = (el: Element): string => {
    const explicit = norm(el.getAttribute('role')).split(' ')[0];
    if (explicit) return explicit;
    const tag = el.tagName.toLowerCase();
    if (tag === 'button') return 'button';
    if (tag === 'a' && el.hasAttribute('href')) return 'link';
    if (tag === 'input') {
      const t = (el as HTMLInputElement).type;
      if (['button', 'submit', 'reset', 'image'].includes(t)) return 'button';
      if (t === 'checkbox' || t === 'radio') return t;
    }
    return '';
  };

  const textOf = (el: Element) => norm((el as HTMLElement).innerText ?? el.textContent);

  const accessibleName = (el: Element): string => {
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const t = norm(by.split(/\s+/).map((id) => textOf(document.getElementById(id) ?? document.createElement('i'))).join(' '));
      if (t) return t;
    }
    const aria = norm(el.getAttribute('aria-label'));
    if (aria) return aria;
    if (el instanceof HTMLInputElement) {
      if (['submit', 'button', 'reset'].includes(el.type)) return norm(el.value) || (el.type === 'submit' ? 'Submit' : el.type === 'reset' ? 'Reset' : '');
      if (el.type === 'image') return norm(el.alt);
    }
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length) return norm(Array.from(labels).map(textOf).join(' '));
    const t = textOf(el);
    return t || norm(el.getAttribute('title'));
  };

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

  const cssPath = (el: Element): string => {
    const parts: string[] = [];
    let cur: Element | null = el;
    while (cur && cur !== document.documentElement && parts.length < 8) {
      const tag = cur.tagName.toLowerCase();
      if (cur.id && !/\d{3,}|:/.test(cur.id) && unique(`#${CSS.escape(cur.id)}`)) {
        parts.unshift(`#${CSS.escape(cur.id)}`);
        break;
      }
      const parent: Element | null = cur.parentElement;
      // a stable class (not generated: no long digit runs, no hashes) says what the element is
      const cls = Array.from(cur.classList).find((c) => /^[a-z][a-z-]{2,30}$/i.test(c));
      let part = cls ? `${tag}.${CSS.escape(cls)}` : tag;
      if (parent) {
        const same = Array.from(parent.children).filter((c) => c.tagName === cur!.tagName);
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(cur) + 1})`;
      }
      parts.unshift(part);
      // a lone `a` or `button` is unique only until the page grows: anchor it to a parent
      if (parts.length >= 2 && unique(parts.join(' > '))) break;
      cur = parent;
    }
    return parts.join(' > ');
  };

  const selectorOf = (el: Element): string => {
    const tag = el.tagName.toLowerCase();
    for (const attr of ['data-testid', 'data-test-id', 'data-test', 'data-qa', 'data-cy']) {
      const v = el.getAttribute(attr);
      if (v) {
        const css = `[${attr}=${q(v)}]`;
        if (unique(css)) return css;
      }
    }
    // Ids that look generated (React's :r1:, numbered ids) change between page loads.
    if (el.id && !/\d{3,}|:/.test(el.id) && unique(`#${CSS.escape(el.id)}`)) return `#${CSS.escape(el.id)}`;
    const name = el.getAttribute('name');
    if (name) {
      const css = `${tag}[name=${q(name)}]`;
      if (unique(css)) return css;
      const value = el.getAttribute('value');
      if (value !== null && unique(`${css}[value=${q(value)}]`)) return `${css}[value=${q(value)}]`;
    }
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) {
      const v = el.getAttribute(attr);
      if (v && v.length <= 80 && unique(`${tag}[${attr}=${q(v)}]`)) return `${tag}[${attr}=${q(v)}]`;
    }
    const role = implicitRole(el);
    if (role) {
      const accName = accessibleName(el);
      if (accName && accName.length <= 80 && !echoesTyping(accName)) {
        const same = Array.from(document.querySelectorAll('*')).filter((x) => implicitRole(x) === role && accessibleName(x) === accName);
        if (same.length === 1) return `role=${role}[name=${q(accName)}s]`;
      }
    }
    const text = textOf(el);
    if (text && text.length <= 60 && !isTextField(el) && !echoesTyping(text)) {
      const matches = Array.from(document.querySelectorAll('body *')).filter((x) => textOf(x) === text && !Array.from(x.children).some((c) => textOf(c) === text));
      if (matches.length === 1 && matches[0] === el) return `text=${q(text)}`;
    }
    return cssPath(el);
  };

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

  const describe = (el: Element) => ({ selector: selectorOf(el), input: inputName(el), secret: isSecret(el) });
  Object.defineProperty(w, '__rfDescribe', { value: describe });

  const valueOf = (el: Element) => (el instanceof HTMLElement && el.isContentEditable && !('value' in el) ? el.innerText : String((el as HTMLInputElement).value ?? ''));

  const dirty = new Set<Element>();
  const flush = (el: Element) => {
    if (!dirty.delete(el) || !el.isConnected) return;
    const d = describe(el);
    if (!d.secret) remember(valueOf(el));
    send({ kind: 'fill', value: valueOf(el), ...d });
  };
  const flushAll = () => [...dirty].forEach(flush);
  Object.defineProperty(w, '__rfFlush', { value: flushAll });

  const targetOf = (e: Event) => (e.composedPath()[0] ?? e.target) as Element;
  const CLICKABLE = 'button,a[href],input,select,textarea,label,summary,[role=button],[role=link],[role=checkbox],[role=radio],[role=tab],[role=menuitem],[role=option],[role=switch],[onclick],[data-testid]';

  document.addEventListener(
    'input',
    (e) => {
      const el = targetOf(e);
      if (el instanceof Element && isTextField(el)) dirty.add(el);
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
        send({ kind: 'select', value: el.value, ...describe(el) });
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
      send({ kind: 'click', ...describe(el) });
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
      const target = el === document.body || el === document.documentElement ? 'body' : describe(el).selector;
      send({ kind: 'press', selector: target, key: [...mods, e.key].join('+') });
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
  return `(() => { const __name = (f) => f; (${pageScript.toString()})(${JSON.stringify(BINDING)}); })();`;
}
