import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import type { Session } from '@uah/schemas';
import { hubApi } from './api.js';
import { Link, match, navigate, usePath } from './router.js';
import { currentSession, signedIn, signOut } from './session.js';
import { ErrorNotice, Loading } from './ui.js';
import { BooksPage } from './pages/books.js';
import { IntegrationPage } from './pages/integration.js';
import { IntegrationsPage } from './pages/integrations.js';
import { MarketplacePage } from './pages/marketplace.js';
import { SignInPage } from './pages/sign-in.js';
import { WebhookPage } from './pages/webhook.js';
import { WebhooksPage } from './pages/webhooks.js';

/** The generated form (the form library and ajv) is most of the bundle: it loads when a connector is enabled. */
const EnablePage = lazy(async () => ({ default: (await import('./pages/enable.js')).EnablePage }));

const NAV: Array<[string, string]> = [
  ['/books', 'Books'],
  ['/marketplace', 'Marketplace'],
  ['/integrations', 'Integrations'],
  ['/webhooks', 'Webhooks'],
];

function SignedInApp({ session, onSignedOut }: { session: Session; onSignedOut(): void }) {
  const path = usePath();
  const s = useMemo(() => signedIn(session, onSignedOut), [session, onSignedOut]);
  const api = useMemo(() => hubApi(s), [s]);
  useEffect(() => {
    if (path === '/' || path === '/sign-in') navigate('/books', { replace: true });
  }, [path]);

  let page;
  let params: Record<string, string> | undefined;
  if ((params = match('/marketplace/:connectorId', path))) page = <EnablePage key={path} s={s} api={api} connectorId={params['connectorId'] ?? ''} />;
  else if ((params = match('/integrations/:connectorId', path))) page = <IntegrationPage key={path} s={s} api={api} connectorId={params['connectorId'] ?? ''} />;
  else if ((params = match('/webhooks/:endpointId', path))) page = <WebhookPage key={path} s={s} api={api} endpointId={params['endpointId'] ?? ''} />;
  else if (path.startsWith('/marketplace')) page = <MarketplacePage key={path} s={s} api={api} />;
  else if (path.startsWith('/integrations')) page = <IntegrationsPage key={path} api={api} />;
  else if (path.startsWith('/webhooks')) page = <WebhooksPage key={path} s={s} api={api} />;
  else if (path.startsWith('/books') || path === '/') page = <BooksPage key="books" s={s} />;
  else page = (
    <main id="main">
      <h1>Nothing here</h1>
      <p>
        <Link to="/books">Go to the books</Link>.
      </p>
    </main>
  );

  const leave = async (): Promise<void> => {
    await signOut(session).catch(() => undefined);
    onSignedOut();
  };
  const readOnly = !s.can('write');
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="top">
        <p className="brand">Universal Accounting Hub</p>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <Link to={to} aria-current={path.startsWith(to) ? 'page' : undefined}>{label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="small">{session.organizationId}{readOnly ? ' · read only' : ''}</span>
          <button type="button" onClick={() => void leave()}>Sign out</button>
        </div>
      </header>
      <Suspense fallback={<main id="main"><Loading /></main>}>{page}</Suspense>
    </>
  );
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    currentSession().then((found) => setSession(found ?? null), setError);
  }, [attempt]);
  const signedOut = useMemo(() => () => {
    setSession(null);
    navigate('/sign-in', { replace: true });
  }, []);

  if (error) return <main id="main"><ErrorNotice error={error} onRetry={() => { setError(undefined); setAttempt((n) => n + 1); }} /></main>;
  if (session === undefined) return <main id="main"><Loading /></main>;
  if (session === null) {
    return (
      <SignInPage
        onSignedIn={(made) => {
          setSession(made);
          navigate(location.pathname === '/sign-in' || location.pathname === '/' ? '/books' : location.pathname, { replace: true });
        }}
      />
    );
  }
  return <SignedInApp session={session} onSignedOut={signedOut} />;
}
