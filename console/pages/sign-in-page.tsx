/** Sign in with an API key: the server answers with an HttpOnly cookie; the page keeps nothing. */
import { useState } from 'preact/hooks';
import { api, isApiError, messageOf } from '../api.js';

export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.signIn(key);
      setKey('');
      onSignedIn();
    } catch (err) {
      setError(isApiError(err) && err.status === 401 ? 'That API key was not accepted. Check it and try again.' : messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="sign-in card" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p class="muted">This replayfarm server needs an API key. The console sends it once and then uses a session cookie; the key is not stored in this browser.</p>
      <form onSubmit={submit} method="post" action="#/sign-in">
        <label for="api-key">API key</label>
        <input id="api-key" name="key" type="password" autoComplete="current-password" required value={key} onInput={(e) => setKey(e.currentTarget.value)} aria-describedby={error ? 'sign-in-error' : undefined} aria-invalid={error ? true : undefined} />
        {error && (
          <p id="sign-in-error" class="error-box" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
