/** The shell: session check, header with navigation and sign out, the page for the route. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, isApiError, setUnauthorizedHandler } from './api.js';
import { go, hrefOf, useRoute, type Route } from './router.js';
import type { Session } from './types.js';
import { SignInPage } from './pages/sign-in-page.js';
import { WorkflowsPage } from './pages/workflows-page.js';
import { WorkflowPage } from './pages/workflow-page.js';
import { RunsPage } from './pages/runs-page.js';
import { RecordPage } from './pages/record-page.js';
import { RecordingPage } from './pages/recording-page.js';

export function App() {
  const route = useRoute();
  // undefined while asking; a server without /v1/session is taken as "no sign-in needed"
  const [session, setSession] = useState<Session | undefined>();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setSession({ authRequired: true, signedIn: false });
      go(hrefOf.signIn());
    });
    api
      .session()
      .then(setSession)
      .catch((e) => setSession({ authRequired: isApiError(e) && e.status === 401, signedIn: false }));
  }, []);

  const needsSignIn = session !== undefined && session.authRequired && !session.signedIn;
  useEffect(() => {
    if (needsSignIn && route.page !== 'sign-in') go(hrefOf.signIn());
    // signed in already, or no key needed: nothing to do on the sign-in page
    if (session && !needsSignIn && route.page === 'sign-in') go(hrefOf.workflows());
  }, [needsSignIn, session, route.page]);

  // a new page: focus moves to its content, so screen readers and Tab start there (not on the first load)
  const pageKey = route.page === 'workflow' || route.page === 'recording' ? `${route.page}/${route.id}` : route.page;
  const firstPage = useRef(pageKey);
  useEffect(() => {
    if (pageKey !== firstPage.current) document.getElementById('main')?.focus();
    firstPage.current = '';
  }, [pageKey]);

  useEffect(() => {
    document.title = `${titleOf(route)} · replayfarm`;
  }, [route]);

  const signedIn = () => {
    setSession({ authRequired: true, signedIn: true });
    go(hrefOf.workflows());
  };
  const signOut = async () => {
    await api.signOut().catch(() => {});
    setSession({ authRequired: true, signedIn: false });
    go(hrefOf.signIn());
  };

  const showNav = session !== undefined && !needsSignIn;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <a class="brand" href={hrefOf.workflows()}>
          replayfarm <span class="brand-sub">console</span>
        </a>
        {showNav && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href={hrefOf.workflows()} aria-current={route.page === 'workflows' || route.page === 'workflow' ? 'page' : undefined}>
                  Workflows
                </a>
              </li>
              <li>
                <a href={hrefOf.runs()} aria-current={route.page === 'runs' ? 'page' : undefined}>
                  Runs
                </a>
              </li>
              <li>
                <a href={hrefOf.record()} aria-current={route.page === 'record' || route.page === 'recording' ? 'page' : undefined}>
                  Record
                </a>
              </li>
            </ul>
          </nav>
        )}
        {showNav && session?.authRequired && (
          <button type="button" class="button-quiet sign-out" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {session === undefined ? <p class="muted">Loading…</p> : <Page route={needsSignIn ? { page: 'sign-in' } : route} onSignedIn={signedIn} />}
      </main>
    </>
  );
}

function Page({ route, onSignedIn }: { route: Route; onSignedIn: () => void }) {
  switch (route.page) {
    case 'sign-in':
      return <SignInPage onSignedIn={onSignedIn} />;
    case 'workflows':
      return <WorkflowsPage />;
    case 'workflow':
      return <WorkflowPage id={route.id} />;
    case 'runs':
      return <RunsPage />;
    case 'record':
      return <RecordPage />;
    case 'recording':
      return <RecordingPage id={route.id} />;
  }
}

function titleOf(route: Route): string {
  return { 'sign-in': 'Sign in', workflows: 'Workflows', workflow: 'Workflow', runs: 'Runs', record: 'Record', recording: 'Recording' }[route.page];
}
