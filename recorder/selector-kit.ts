/**
 * The page-side basics of selector choice (selector-choice.ts): whitespace and icon-glyph
 * handling as Playwright normalises names, where to look (the document and every open shadow
 * root), and which ids and classes are generated, hence not worth naming an element by.
 *
 * Runs in the page, serialised with the capture script: it must not use anything from the module
 * scope (type imports only).
 */
export interface SelectorKit {
  /** Playwright's normalizeWhiteSpace. */
  norm: (s: string | null | undefined) => string;
  /** A quoted selector string. */
  q: (s: string) => string;
  hasGlyph: (s: string) => boolean;
  /** The text between icon glyphs, each part whitespace-normalised. */
  parts: (s: string) => string[];
  /** The element's tag, escaped for CSS. */
  tagOf: (e: Element) => string;
  /** Every element matching `css` in the document and its open shadow roots. */
  all: (css: string) => Element[];
  only: (list: Element[], el: Element) => boolean;
  generatedId: (id: string) => boolean;
  /** Up to three classes that look stable. */
  classesOf: (e: Element) => string[];
  /** Forgets the shadow roots found so far: the page may have changed since. */
  reset: () => void;
}

export function selectorKit(): SelectorKit {
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

  return { norm, q, hasGlyph, parts, tagOf, all, only, generatedId, classesOf, reset: () => (rootsMemo = undefined) };
}
