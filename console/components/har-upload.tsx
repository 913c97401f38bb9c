/**
 * HAR upload: drop a file on the zone, or pick it with the button (keyboard users). On success
 * the page goes to the new workflow; a 400 shows each broken path.
 */
import { useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { go, hrefOf } from '../router.js';
import { ErrorBox } from './error-box.js';

const nameOf = (file: File) => file.name.replace(/\.gz$/i, '').replace(/\.(har|json)$/i, '') || 'uploaded HAR';

export function HarUpload() {
  const picker = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<{ file: string; error: unknown } | undefined>();

  const upload = async (file: File | undefined) => {
    if (!file || busy) return;
    setError(undefined);
    setBusy(file.name);
    try {
      const { workflow } = await api.uploadHar(file, nameOf(file));
      go(hrefOf.workflow(workflow.id));
    } catch (e) {
      setError({ file: file.name, error: e });
    } finally {
      setBusy(undefined);
      if (picker.current) picker.current.value = '';
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void upload(e.dataTransfer?.files[0]);
  };

  return (
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Learn a workflow from a HAR file</h2>
      <div
        class={`drop-zone${over ? ' drop-over' : ''}`}
        data-testid="har-drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>
          Drop a <code>.har</code> or <code>.har.gz</code> file here (exported from Chrome, Firefox, Playwright, Charles or mitmproxy), or
        </p>
        <label class="button-secondary file-button">
          Choose a HAR file…
          <input ref={picker} class="visually-hidden" type="file" accept=".har,.json,.gz,application/json,application/gzip" onChange={(e) => upload(e.currentTarget.files?.[0])} />
        </label>
      </div>
      <div aria-live="polite" class="upload-status">
        {busy && <p>Uploading and learning {busy}…</p>}
      </div>
      {error && <ErrorBox error={error.error} title={`${error.file} could not be learned`} />}
    </section>
  );
}
