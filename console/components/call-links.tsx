/** How to call the workflow from elsewhere: its OpenAPI document and a ready-to-copy curl line. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Workflow } from '../types.js';
import { curlLine } from '../workflow-facts.js';

export function CallLinks({ workflow }: { workflow: Workflow }) {
  const line = curlLine(location.origin, workflow);
  const [copied, setCopied] = useState('');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(line);
      setCopied('Copied to the clipboard.');
    } catch {
      // no clipboard permission: select the text so Ctrl+C works
      const el = document.getElementById('curl-line');
      if (el) getSelection()?.selectAllChildren(el);
      setCopied('Selected: press Ctrl+C to copy.');
    }
  };

  return (
    <>
      <p>
        <a href={api.openapiUrl(workflow.id)} target="_blank" rel="noopener">
          OpenAPI document
        </a>{' '}
        <span class="muted small">(this workflow as a typed endpoint)</span>
      </p>
      <div class="curl">
        <pre id="curl-line" aria-label="curl command">
          <code>{line}</code>
        </pre>
        <button type="button" class="button-secondary" onClick={copy}>
          Copy
        </button>
        <span class="muted small" aria-live="polite">
          {copied}
        </span>
      </div>
      <p class="muted small">
        Set <code>REPLAYFARM_API_KEY</code> in your shell first; values in <code>&lt;…&gt;</code> are placeholders for secret inputs.
      </p>
    </>
  );
}
