/** Start a recording: a start URL and a name; the live view of it comes next (#/record/<id>). */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { go, hrefOf } from '../router.js';
import { ErrorBox } from '../components/error-box.js';

export function RecordPage() {
  const [startUrl, setStartUrl] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const start = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const rec = await api.startRecording({ startUrl: startUrl.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      go(hrefOf.recording(rec.id));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Record a workflow</h1>
      <section class="card record-start" aria-labelledby="record-title">
        <h2 id="record-title">Start a recording</h2>
        <p class="muted">
          The server opens the page in one of its browsers and shows it here, live. Use it as you would any site (click, type, press Enter); every request and action is kept. Then stop: the
          workflow is learned from what you did.
        </p>
        <form onSubmit={start} aria-describedby={error !== undefined ? 'record-error' : undefined}>
          <div class="form-grid">
            <div class="field field-wide">
              <label for="record-url">Start URL</label>
              <input id="record-url" name="startUrl" type="url" required placeholder="https://example.com/login" value={startUrl} onInput={(e) => setStartUrl(e.currentTarget.value)} />
            </div>
            <div class="field field-wide">
              <label for="record-name">
                Name <span class="muted">(optional)</span>
              </label>
              <input id="record-name" name="name" type="text" maxLength={200} placeholder="Log in and create an item" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
          </div>
          <button type="submit" class="button-primary" disabled={busy}>
            {busy ? 'Starting a browser…' : 'Start'}
          </button>
        </form>
        <div aria-live="polite" class="upload-status">
          {busy && <p>Opening {startUrl} in a browser…</p>}
        </div>
        {error !== undefined && (
          <div id="record-error">
            <ErrorBox error={error} title="The recording could not start" />
          </div>
        )}
      </section>
    </>
  );
}
