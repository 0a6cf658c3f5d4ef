import { useState, type FormEvent } from 'react';
import type { Session } from '@uah/schemas';
import { signIn } from '../session.js';
import { ErrorNotice, PageTitle } from '../ui.js';

/** The key is exchanged for the session cookie and dropped: it is never stored in the browser. */
export function SignInPage({ onSignedIn }: { onSignedIn(session: Session): void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await signIn(key);
      setKey('');
      onSignedIn(session);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="sign-in">
      <PageTitle>Sign in</PageTitle>
      <p>Paste an API key of your organization. It is exchanged for a session that ends when you sign out or after 12 hours; the key itself is not kept in this browser.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="apiKey" type="password" autoComplete="off" spellCheck={false} required placeholder="uah_sk_…" value={key} onChange={(e) => setKey(e.target.value)} aria-describedby="api-key-help" />
        <p id="api-key-help" className="muted small">A key with only the <code>read</code> scope shows everything and changes nothing.</p>
        <button type="submit" className="primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorNotice error={error} />
    </main>
  );
}
