import { useState, type FormEvent } from 'react';
import { UahApiError } from '@uah/client/portable';
import type { WebhookEndpointCreated } from '@uah/schemas';
import type { HubApi } from '../api.js';
import { Link } from '../router.js';
import type { SignedIn } from '../session.js';
import { Badge, CopyButton, Empty, ErrorNotice, Loading, PageTitle, useAsync } from '../ui.js';

/** A secret the API returns once: shown once, with a copy button, until the user dismisses it. */
export function SecretOnce({ secret, onDone }: { secret: string; onDone(): void }) {
  return (
    <div className="notice success" role="status">
      <p><strong>The signing secret, shown only this once.</strong> Keep it where your receiver can read it.</p>
      <p className="secret">
        <code data-testid="webhook-secret">{secret}</code> <CopyButton text={secret} label="Copy the signing secret" />
      </p>
      <button type="button" onClick={onDone}>I have kept it</button>
    </div>
  );
}

function CreateEndpoint({ api, onCreated }: { api: HubApi; onCreated(endpoint: WebhookEndpointCreated): void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      const created = await api.createEndpoint({
        url: url.trim(),
        events: events.split(/[\s,]+/).filter(Boolean),
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      setUrl('');
      setDescription('');
      onCreated(created);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const errorsOf = (field: string): string | undefined =>
    failure instanceof UahApiError ? failure.errors.filter((e) => e.field === field || e.field.startsWith(`${field}/`)).map((e) => e.message).join('; ') || undefined : undefined;
  return (
    <form onSubmit={(e) => void submit(e)} className="inline-form" aria-labelledby="create-heading">
      <h2 id="create-heading">Add an endpoint</h2>
      <label htmlFor="webhook-url">URL</label>
      <input id="webhook-url" type="text" inputMode="url" autoComplete="off" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/uah" aria-invalid={Boolean(errorsOf('/url'))} aria-describedby="webhook-url-error" />
      <p id="webhook-url-error" className="error-text">{errorsOf('/url')}</p>
      <label htmlFor="webhook-events">Events (comma-separated; <code>*</code> for all, <code>invoice.*</code> for a kind)</label>
      <input id="webhook-events" value={events} onChange={(e) => setEvents(e.target.value)} aria-invalid={Boolean(errorsOf('/events'))} aria-describedby="webhook-events-error" />
      <p id="webhook-events-error" className="error-text">{errorsOf('/events')}</p>
      <label htmlFor="webhook-description">Description (optional)</label>
      <input id="webhook-description" value={description} onChange={(e) => setDescription(e.target.value)} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Adding…' : 'Add endpoint'}</button>
      </div>
      <ErrorNotice error={failure} />
    </form>
  );
}

export function WebhooksPage({ s, api }: { s: SignedIn; api: HubApi }) {
  const list = useAsync(() => api.endpoints(), []);
  const [created, setCreated] = useState<WebhookEndpointCreated>();
  return (
    <main id="main">
      <PageTitle>Webhooks</PageTitle>
      <p className="lead">Endpoints that receive your organization's events, signed with their secret.</p>
      {created && (
        <>
          <p>
            Created <Link to={`/webhooks/${created.id}`}>{created.url}</Link>.
          </p>
          <SecretOnce secret={created.secret} onDone={() => setCreated(undefined)} />
        </>
      )}
      {s.can('write') ? (
        <CreateEndpoint api={api} onCreated={(endpoint) => { setCreated(endpoint); list.reload(); }} />
      ) : (
        <p className="muted small">Adding endpoints needs a key with the write scope.</p>
      )}
      <h2>Endpoints</h2>
      {list.loading && !list.data && <Loading />}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data?.data.length === 0 && (
        <Empty title="No endpoint yet.">
          <p>{s.can('write') ? 'Add the URL of a receiver above: every matching event is POSTed to it, signed.' : 'Ask someone with a write key to add one.'}</p>
        </Empty>
      )}
      {list.data && list.data.data.length > 0 && (
        <ul className="list">
          {list.data.data.map((endpoint) => (
            <li key={endpoint.id}>
              <Link to={`/webhooks/${endpoint.id}`}>{endpoint.url}</Link> <Badge value={endpoint.status} />
              <span className="muted small"> {endpoint.events.join(', ')}{endpoint.description ? ` — ${endpoint.description}` : ''}</span>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
