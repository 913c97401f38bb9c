/**
 * How a recording names the element a person acted on: the in-page half of selector choice,
 * injected with the capture script (capture-script.ts) into every frame.
 *
 * The approach is Playwright codegen's: build candidates in order of robustness (test id, an id
 * that is not generated, name, placeholder/aria-label/title/alt, role + accessible name, label,
 * text, then a CSS path anchored to the nearest stable ancestor) and keep a candidate only when it
 * resolves to exactly one element, the one acted on. Codegen runs Playwright's own engines in the
 * page; this script runs in the page's main world where they are not available, so each candidate
 * carries a model of its engine's semantics (`holds`), exact for CSS and written after Playwright's
 * for role, label and text. ActionCapture then confirms the choice with Playwright itself whenever
 * the element is still there (action-capture.ts), so a model that strays is caught.
 *
 * Icon glyphs (private-use characters of icon fonts, emoji, symbols) never go into a selector:
 * Playwright's accessible name includes CSS ::before/::after content, so a name read from text
 * alone (`Save`) and an exact match (`name="Save"s`) miss a button whose name is really `\ue900 Save`.
 * Names with glyphs are matched tolerantly: the text between the glyphs, as a substring or as an
 * anchored regular expression that lets non-letters stand around it.
 *
 * Written as a function so that it is type-checked; it runs in the page, so it must not use
 * anything from the module scope. Serialised by captureScriptSource().
 */
export type CandidateKind = 'testid' | 'id' | 'name' | 'attr' | 'role' | 'label' | 'text' | 'css';

export interface Candidate {
  selector: string;
  kind: CandidateKind;
}

export interface CheckedCandidate extends Candidate {
  /** Does it still resolve to exactly this element (by the in-page model)? */
  holds: () => boolean;
}

export interface SelectorChoice {
  /** Candidates for `el` that resolve to exactly `el` now, most robust first; never empty. */
  candidates(el: Element): CheckedCandidate[];
}

export function selectorChoice(echoesTyping: (text: string) => boolean): SelectorChoice {
  const GLYPHS = /[\p{Co}\p{Extended_Pictographic}\p{So}\p{Emoji_Modifier}\u200d\ufe0e\ufe0f\u20e3]+/u;
  const GLYPHS_ALL = new RegExp(GLYPHS.source, 'gu');
  // Playwright's normalizeWhiteSpace
  const norm = (s: string | null | undefined) => (s ?? '').replace(/[\u200b\u00ad]/g, '').trim().replace(/\s+/g, ' ');
  const q = (s: string) => JSON.stringify(s);
  const hasGlyph = (s: string) => GLYPHS.test(s);
  /** The text between icon glyphs, each part whitespace-normalised. */
  const parts = (s: string) => s.split(GLYPHS_ALL).map(norm).filter(Boolean);
  const tagOf = (e: Element) => e.localName.replace(/[:.]/g, (c) => `\\${c}`);

  // ---- where to look: the document and every open shadow root (Playwright's engines pierce them)
  let rootsMemo: Array<Document | ShadowRoot> | undefined;
  const roots = (): Array<Document | ShadowRoot> => {
    if (rootsMemo) return rootsMemo;
    const out: Array<Document | ShadowRoot> = [document];
    for (let i = 0; i < out.length; i++) for (const e of Array.from(out[i]!.querySelectorAll('*'))) if (e.shadowRoot) out.push(e.shadowRoot);
    return (rootsMemo = out);
  };
  const all = (css: string): Element[] => {
    try {
      return roots().flatMap((r) => Array.from(r.querySelectorAll(css)));
    } catch {
      return [];
    }
  };
  const only = (list: Element[], el: Element) => list.length === 1 && list[0] === el;

  // ---- generated ids and classes change between page loads (or between records of the data)
  const guidLike = (s: string) => {
    let last = '';
    let transitions = 0;
    for (const c of s.replace(/[-_]/g, '')) {
      const t = c >= 'a' && c <= 'z' ? 'l' : c >= 'A' && c <= 'Z' ? 'u' : c >= '0' && c <= '9' ? 'd' : 'o';
      if (t === 'l' && last === 'u') {
        last = t;
        continue;
      }
      if (last && last !== t) transitions++;
      last = t;
    }
    return transitions >= s.length / 4;
  };
  const FRAMEWORK_IDS = /^(ember|ext-gen|ext-comp|extjs|gwt-uid|yui|ui-id|uid|react-select|react-aria|mui|headlessui|radix|rc-|ng-|mat-|cdk-|j_id|dijit|vaadin|mce_|tinymce|el-id|floating-ui|select2-|downshift-|__)/i;
  const generatedId = (id: string) =>
    !id ||
    id.length > 60 ||
    /[:\s]/.test(id) ||
    /\d{3,}/.test(id) ||
    /\d{2,}$/.test(id) ||
    guidLike(id) ||
    (FRAMEWORK_IDS.test(id) && /\d/.test(id)) ||
    (id.match(/[0-9a-f]{6,}/gi) ?? []).some((h) => /\d/.test(h) && /[a-f]/i.test(h));
  const STATE_CLASSES = /^(is-|has-|ng-|js-focus|active$|selected$|focus|hover|open|opened$|closed$|disabled$|checked$|current$|show$|visible$|hidden$|collapsed$|expanded$|loading$|busy$|dirty$|pristine$|touched$|valid$|invalid$)/i;
  const stableClass = (c: string) => {
    if (!/^[a-z][\w-]{2,50}$/i.test(c) || /\d{3,}/.test(c) || STATE_CLASSES.test(c) || /^(css|sc|jsx|svelte|astro|emotion|tw)-/i.test(c)) return false;
    const tail = c.split(/[-_]+/).pop() ?? '';
    if (tail.length >= 4 && /\d/.test(tail) && /[a-z]/i.test(tail)) return false; // CSS modules: button__3xYz1
    return !guidLike(c);
  };
  const classesOf = (e: Element) => Array.from(e.classList).filter(stableClass).slice(0, 3);

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

  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  /** Matches the name with anything but word characters (icons, spaces, punctuation) around its parts. */
  const tolerantRe = (ps: string[]) => `/^\\W*${ps.map(escapeRe).join('\\W*')}\\W*$/`;

  // ---- the CSS path
  const childrenOf = (p: Element | ShadowRoot) => Array.from(p.children);
  const step = (e: Element): string => {
    const cls = classesOf(e)[0];
    let s = cls ? `${tagOf(e)}.${CSS.escape(cls)}` : tagOf(e);
    const parent = e.parentElement ?? (e.parentNode instanceof ShadowRoot ? e.parentNode : null);
    if (parent) {
      const same = childrenOf(parent).filter((c) => c.localName === e.localName);
      if (same.length > 1) s += `:nth-of-type(${same.indexOf(e) + 1})`;
    }
    return s;
  };
  const LANDMARKS = ['main', 'header', 'nav', 'footer', 'aside', 'form', 'dialog', 'table', 'fieldset'];
  /** A way to name an ancestor that survives page changes, if it has one. */
  const anchorOf = (e: Element): string | undefined => {
    for (const attr of ['data-testid', 'data-test-id', 'data-test', 'data-qa', 'data-cy']) {
      const v = e.getAttribute(attr);
      if (v && all(`[${attr}=${q(v)}]`).length === 1) return `[${attr}=${q(v)}]`;
    }
    if (e.id && !generatedId(e.id) && all(`#${CSS.escape(e.id)}`).length === 1) return `#${CSS.escape(e.id)}`;
    const name = e.getAttribute('name');
    if (name && ['form', 'fieldset', 'iframe', 'map'].includes(e.localName) && all(`${tagOf(e)}[name=${q(name)}]`).length === 1) return `${tagOf(e)}[name=${q(name)}]`;
    for (const c of classesOf(e)) if (all(`${tagOf(e)}.${CSS.escape(c)}`).length === 1) return `${tagOf(e)}.${CSS.escape(c)}`;
    const role = e.getAttribute('role');
    const label = e.getAttribute('aria-label');
    if (role && label && label.length <= 60 && !hasGlyph(label) && all(`[role=${q(role)}][aria-label=${q(label)}]`).length === 1) return `[role=${q(role)}][aria-label=${q(label)}]`;
    if (LANDMARKS.includes(e.localName) && all(tagOf(e)).length === 1) return tagOf(e);
    return undefined;
  };
  const cssPath = (el: Element): string => {
    const own = [...classesOf(el).map((c) => `${tagOf(el)}.${CSS.escape(c)}`), tagOf(el)];
    const ancestors: Element[] = [];
    for (let p = el.parentElement; p && p !== document.documentElement && p !== document.body; p = p.parentElement) ancestors.push(p);
    const anchors = ancestors.map((a, i) => ({ at: i, sel: anchorOf(a) })).filter((a): a is { at: number; sel: string } => !!a.sel);
    // nearest anchor first: `#toolbar button.publish`
    for (const a of anchors) for (const t of own) if (only(all(`${a.sel} ${t}`), el)) return `${a.sel} ${t}`;
    for (const t of own.slice(0, -1)) if (only(all(t), el)) return t;
    // then the child path from the nearest anchor, or from the top: every step picks one child;
    // steps that say nothing (a bare tag) are left out when the path stays exact without them
    const compact = (path: string[]) => {
      const keep = path.map((x, i) => i === 0 || i === path.length - 1 || /[.:[#]/.test(x));
      let out = '';
      for (let i = 0, gap = false; i < path.length; i++) {
        if (!keep[i]) gap = true;
        else {
          out += (i === 0 ? '' : gap ? ' ' : ' > ') + path[i];
          gap = false;
        }
      }
      return only(all(out), el) ? out : path.join(' > ');
    };
    const steps = [step(el)];
    for (let i = 0; i < ancestors.length; i++) {
      const a = anchors.find((x) => x.at === i);
      if (a) return compact([a.sel, ...steps]);
      if (steps.length >= 2 && only(all(steps.join(' > ')), el)) return compact(steps);
      steps.unshift(step(ancestors[i]!));
    }
    // In a shadow root the path is relative to it; exact only when no other root has the same.
    if (el.getRootNode() instanceof ShadowRoot || only(all(steps.join(' > ')), el)) return compact(steps);
    return compact(el.closest('body') ? ['body', ...steps] : steps);
  };

  const candidates = (el: Element): CheckedCandidate[] => {
    rootsMemo = undefined;
    textMemo.clear();
    const out: CheckedCandidate[] = [];
    const fresh = <T>(f: () => T) => () => {
      rootsMemo = undefined;
      textMemo.clear();
      return f();
    };
    const css = (selector: string, kind: CandidateKind) => {
      const holds = fresh(() => only(all(selector), el));
      if (!out.some((c) => c.selector === selector) && holds()) out.push({ selector, kind, holds });
    };
    const model = (selector: string, kind: CandidateKind, matches: () => Element[]) => {
      const holds = fresh(() => only(matches(), el));
      if (!out.some((c) => c.selector === selector) && holds()) out.push({ selector, kind, holds });
    };
    const tag = tagOf(el);
    for (const attr of ['data-testid', 'data-test-id', 'data-test', 'data-qa', 'data-cy']) {
      const v = el.getAttribute(attr);
      if (v) css(`[${attr}=${q(v)}]`, 'testid');
    }
    if (el.id && !generatedId(el.id)) css(`#${CSS.escape(el.id)}`, 'id');
    const name = el.getAttribute('name');
    if (name) {
      css(`${tag}[name=${q(name)}]`, 'name');
      const value = el.getAttribute('value');
      if (value !== null) css(`${tag}[name=${q(name)}][value=${q(value)}]`, 'name');
    }
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) {
      const v = el.getAttribute(attr);
      if (v && v.length <= 80 && !hasGlyph(v) && !echoesTyping(v)) css(`${tag}[${attr}=${q(v)}]`, 'attr');
    }
    const role = /^[a-z]+$/.test(implicitRole(el)) ? implicitRole(el) : '';
    const accName = role ? accessibleName(el) : '';
    const nameParts = parts(accName);
    if (role && nameParts.length && accName.length <= 80 && !echoesTyping(accName)) {
      const peers = () => ofRole(role).filter((x) => !hiddenForAria(x));
      const named = (test: (n: string) => boolean) => () => peers().filter((x) => test(accessibleName(x)));
      if (!hasGlyph(accName)) model(`role=${role}[name=${q(accName)}s]`, 'role', named((n) => n === accName));
      if (nameParts.length === 1) {
        const sub = nameParts[0]!.toLowerCase();
        model(`internal:role=${role}[name=${q(nameParts[0]!)}i]`, 'role', named((n) => n.toLowerCase().includes(sub)));
      }
      const re = tolerantRe(nameParts);
      const rx = new RegExp(re.slice(1, -1));
      model(`internal:role=${role}[name=${re}]`, 'role', named((n) => rx.test(n)));
    }
    const label = ownLabel(el);
    const labelParts = parts(label);
    if (labelParts.length === 1 && label.length <= 80 && !echoesTyping(label)) {
      const sub = labelParts[0]!.toLowerCase();
      model(`internal:label=${q(labelParts[0]!)}i`, 'label', () => all('*').filter((x) => labelsOf(x).some((t) => t.toLowerCase().includes(sub))));
    }
    const isField = el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement || (el instanceof HTMLElement && el.isContentEditable);
    const text = isField ? '' : elText(el);
    if (text && text.length <= 60 && !echoesTyping(text)) {
      // internal:text matches the innermost elements whose whole text fits
      const deepest = (test: (t: string) => boolean) => () =>
        all('*').filter(
          (x) =>
            !['script', 'style', 'noscript'].includes(x.localName) &&
            !x.closest('head') &&
            test(elText(x)) &&
            !Array.from(x.children).some((c) => test(elText(c))) &&
            !(x.shadowRoot && test(norm(fullText(x.shadowRoot)))),
        );
      const textParts = parts(text);
      if (!hasGlyph(text)) {
        // `text="…"`: elements with a run of their own text (between child elements) that is it
        model(`text=${q(text)}`, 'text', () => all('*').filter((x) => !['script', 'style', 'noscript'].includes(x.localName) && !x.closest('head') && ownRuns(x).includes(text)));
        model(`internal:text=${q(text)}s`, 'text', deepest((t) => t === text));
      } else if (textParts.length === 1) {
        const sub = textParts[0]!.toLowerCase();
        model(`internal:text=${q(textParts[0]!)}i`, 'text', deepest((t) => t.toLowerCase().includes(sub)));
      }
    }
    const path = cssPath(el);
    css(path, 'css');
    if (!out.length) out.push({ selector: path, kind: 'css', holds: fresh(() => only(all(path), el)) });
    return out;
  };

  return { candidates };
}
