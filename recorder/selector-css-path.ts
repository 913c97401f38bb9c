/**
 * The last-resort selector of selector choice (selector-choice.ts): a CSS path anchored to the
 * nearest ancestor that can be named stably (test id, a non-generated id, a unique class or
 * landmark), with steps that say nothing left out while the path stays exact.
 *
 * Runs in the page, serialised with the capture script: it must not use anything from the module
 * scope (type imports only).
 */
import type { SelectorKit } from './selector-kit.js';

export function selectorCssPath(kit: SelectorKit): (el: Element) => string {
  const { q, hasGlyph, tagOf, all, only, generatedId, classesOf } = kit;

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

  return cssPath;
}
