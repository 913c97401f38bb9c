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
 * Written as functions so that they are type-checked; they run in the page, so they must not use
 * anything from the module scope: the parts (selector-kit.ts, selector-names.ts,
 * selector-css-path.ts) are handed in, and captureScriptSource() serialises each.
 */
import type { SelectorKit } from './selector-kit.js';
import type { SelectorNames } from './selector-names.js';
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

/** The page-side parts of selector choice, handed in as functions (see captureScriptSource). */
export interface SelectorParts {
  kit: () => SelectorKit;
  names: (kit: SelectorKit) => SelectorNames;
  cssPath: (kit: SelectorKit) => (el: Element) => string;
}

export function selectorChoice(echoesTyping: (text: string) => boolean, make: SelectorParts): SelectorChoice {
  const kit = make.kit();
  const names = make.names(kit);
  const cssPath = make.cssPath(kit);
  const { norm, q, hasGlyph, parts, tagOf, all, only, generatedId } = kit;
  const { implicitRole, ofRole, hiddenForAria, accessibleName, fullText, elText, ownRuns, labelsOf, ownLabel } = names;

  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  /** Matches the name with anything but word characters (icons, spaces, punctuation) around its parts. */
  const tolerantRe = (ps: string[]) => `/^\\W*${ps.map(escapeRe).join('\\W*')}\\W*$/`;

  const candidates = (el: Element): CheckedCandidate[] => {
    kit.reset();
    names.reset();
    const out: CheckedCandidate[] = [];
    const fresh = <T>(f: () => T) => () => {
      kit.reset();
      names.reset();
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
