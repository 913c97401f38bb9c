/**
 * What a page offers to later requests: its form fields and meta tags. The learner traces values
 * to them and the replayer extracts them again, both through `readHtml`, so a value the learner
 * saw in a page is the value the replayer reads from the same page (one parser, one set of rules
 * for entities, duplicates, comments, scripts and templates).
 */
import { parse, type HTMLElement, type Node } from 'node-html-parser';

export interface HtmlField {
  /** Decoded: an `<input>`'s value attribute ('' when it has none), a `<textarea>`'s text. */
  value: string;
  /** Lower case: the input's type (`text` when none), or `textarea`. */
  type: string;
}

export interface HtmlFacts {
  /** Form fields by name: the first in document order wins, as `querySelector` finds it. */
  fields: Map<string, HtmlField>;
  /** `<meta>` by its name, else property, else http-equiv → content (first occurrence). */
  metas: Map<string, string>;
}

/**
 * Script, style and noscript bodies are dropped: markup inside them (an `<input>` in a JS string,
 * a no-JS fallback form) is not part of the page the browser submitted from. A textarea is kept
 * as text (RCDATA), as browsers read it; `pre` is parsed as markup, as browsers do. Every entry
 * here costs two regex tests per tag, so only what changes the fields read is listed.
 */
const PARSE_OPTIONS = {
  comment: false,
  blockTextElements: { script: false, style: false, noscript: false, textarea: true },
};

/** The closing tag node-html-parser wraps the text in (its `frameflag`). */
const PARSER_END = '</documentfragmentcontainer';

/** Quick pre-check: most XHR fragments and JS-rendered shells hold no field or meta tag. */
const HAS_TAG = /<(?:input|meta|textarea)\b/i;

export function readHtml(text: string): HtmlFacts {
  const facts: HtmlFacts = { fields: new Map(), metas: new Map() };
  if (!HAS_TAG.test(text)) return facts;
  const root = parse(text, PARSE_OPTIONS);
  // Iterative walk in document order: deep malformed pages must not overflow the stack.
  const stack: Node[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.nodeType !== 1) continue;
    const el = node as HTMLElement;
    const tag = el.rawTagName?.toLowerCase();
    // A template's content is inert: not in the page's DOM, never submitted.
    if (tag === 'template') continue;
    if (tag === 'input' || tag === 'textarea' || tag === 'meta') {
      // A tag cut off by the end of the text: browsers drop it; the parser would read its own end marker into it.
      if (el.rawAttrs.includes(PARSER_END)) continue;
      if (tag === 'meta') addMeta(facts.metas, el);
      else addField(facts.fields, el, tag);
    }
    const kids = el.childNodes;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return facts;
}

function addField(fields: Map<string, HtmlField>, el: HTMLElement, tag: 'input' | 'textarea'): void {
  const name = el.getAttribute('name');
  if (!name || fields.has(name)) return;
  // Browsers drop one newline right after `<textarea>`: it is layout, not value.
  if (tag === 'textarea') fields.set(name, { value: el.textContent.replace(/^\r?\n/, ''), type: 'textarea' });
  else fields.set(name, { value: el.getAttribute('value') ?? '', type: (el.getAttribute('type') ?? 'text').toLowerCase() });
}

function addMeta(metas: Map<string, string>, el: HTMLElement): void {
  const name = el.getAttribute('name') ?? el.getAttribute('property') ?? el.getAttribute('http-equiv');
  const content = el.getAttribute('content');
  if (name && content !== undefined && !metas.has(name)) metas.set(name, content);
}
