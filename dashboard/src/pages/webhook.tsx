import { useEffect, useState } from 'react';
import type { WebhookDelivery, WebhookTestResult } from '@uah/schemas';
import type { HubApi } from '../api.js';
import { dateTime } from '../format.js';
import { Link } from '../router.js';
import type { SignedIn } from '../session.js';
import { Badge, Empty, ErrorNotice, Loading, PageTitle, TableScroll, useAsync } from '../ui.js';
import { SecretOnce } from './webhooks.js';

const REFRESH_MS = 2_000;

function Attempts({ delivery }: { delivery: WebhookDelivery }) {
  if (delivery.attempts.length === 0) return <span className="muted">not tried yet</span>;
  return (
    <details>
      <summary>{delivery.attempts.length} attempt{delivery.attempts.length === 1 ? '' : 's'}</summary>
      <ol className="attempts">
        {delivery.attempts.map((attempt) => (
          <li key={attempt.number}>
            <time dateTime={attempt.startedAt}>{dateTime(attempt.startedAt)}</time>: {attempt.statusCode === null ? <strong>no answer</strong> : <strong>HTTP {attempt.statusCode}</strong>} in {attempt.durationMs} ms
            {attempt.error && <span className="error-text"> — {attempt.error}</span>}
            {attempt.responseBody && <pre className="response">{attempt.responseBody}</pre>}
          </li>
        ))}
      </ol>
    </details>
  );
}

export function WebhookPage({ s, api, endpointId }: { s: SignedIn; api: HubApi; endpointId: string }) {
  const endpoint = useAsync(() => api.endpoint(endpointId), [endpointId]);
  const deliveries = useAsync(() => api.deliveries(endpointId), [endpointId]);
  const [secret, setSecret] = useState<string>();
  const [test, setTest] = useState<WebhookTestResult>();
  const [busy, setBusy] = useState('');
  const [failure, setFailure] = useState<unknown>();
  const canWrite = s.can('write');

  // While a delivery is pending, its attempts are read again every few seconds.
  const pending = deliveries.data?.some((d) => d.status === 'PENDING') ?? false;
  useEffect(() => {
    if (!pending || deliveries.loading) return;
    const timer = setTimeout(deliveries.reload, REFRESH_MS);
    return () => clearTimeout(timer);
  }, [pending, deliveries.loading, deliveries.reload]);

  const act = async (label: string, action: () => Promise<void>): Promise<void> => {
    setBusy(label);
    setFailure(undefined);
    try {
      await action();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy('');
    }
  };

  return (
    <main id="main">
      <p className="breadcrumb"><Link to="/webhooks">Webhooks</Link> /</p>
      <PageTitle>{endpoint.data ? endpoint.data.url : 'Webhook endpoint'}</PageTitle>
      {endpoint.loading && !endpoint.data && <Loading />}
      <ErrorNotice error={endpoint.error} onRetry={endpoint.reload} />
      {endpoint.data && (
        <section aria-labelledby="endpoint-heading">
          <h2 id="endpoint-heading" className="visually-hidden">Endpoint</h2>
          <dl className="facts">
            <dt>Status</dt>
            <dd><Badge value={endpoint.data.status} /> {endpoint.data.disabledReason}</dd>
            <dt>Events</dt>
            <dd>{endpoint.data.events.join(', ')}</dd>
            <dt>Failures in a row</dt>
            <dd>{endpoint.data.consecutiveFailures}</dd>
            <dt>Retries</dt>
            <dd>up to {endpoint.data.retryPolicy.maxRetries}, timeout {endpoint.data.timeoutMs} ms</dd>
          </dl>
          {canWrite && (
            <div className="actions">
              <button type="button" disabled={busy !== ''} onClick={() => void act('test', async () => { setTest(await api.testEndpoint(endpointId)); deliveries.reload(); })}>
                {busy === 'test' ? 'Sending…' : 'Send a test ping'}
              </button>
              <button type="button" disabled={busy !== ''} onClick={() => window.confirm('Rotate the signing secret? The old one keeps signing for 24 hours.') && void act('rotate', async () => { setSecret((await api.rotateSecret(endpointId)).secret); })}>
                {busy === 'rotate' ? 'Rotating…' : 'Rotate the secret'}
              </button>
              {endpoint.data.status === 'DISABLED' && (
                <button type="button" disabled={busy !== ''} onClick={() => void act('enable', async () => { await api.enableEndpoint(endpointId); endpoint.reload(); })}>
                  Enable again
                </button>
              )}
            </div>
          )}
          {test && (
            <p role="status" className={`notice ${test.ok ? 'success' : 'error'}`}>
              Test ping {test.ok ? 'delivered' : 'failed'}: {test.statusCode === null ? 'no answer' : `HTTP ${test.statusCode}`} in {test.durationMs} ms{test.error ? ` — ${test.error}` : ''}.
            </p>
          )}
          {secret && <SecretOnce secret={secret} onDone={() => setSecret(undefined)} />}
          <ErrorNotice error={failure} />
        </section>
      )}
      <section aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Deliveries</h2>
        <div className="actions">
          <button type="button" onClick={deliveries.reload} disabled={deliveries.loading}>Refresh</button>
          {pending && <span className="muted small" role="status">Waiting for pending deliveries…</span>}
        </div>
        <ErrorNotice error={deliveries.error} onRetry={deliveries.reload} />
        {deliveries.loading && !deliveries.data && <Loading />}
        {deliveries.data?.length === 0 && (
          <Empty title="Nothing delivered yet.">
            <p>Events that match this endpoint are sent as they happen{canWrite ? '; “Send a test ping” checks the receiver now' : ''}.</p>
          </Empty>
        )}
        {deliveries.data && deliveries.data.length > 0 && (
          <TableScroll label="Deliveries">
            <table>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Attempts</th>
                  {canWrite && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                </tr>
              </thead>
              <tbody>
                {deliveries.data.map((delivery) => (
                  <tr key={delivery.id} data-event-type={delivery.eventType}>
                    <td>{delivery.eventType} <span className="muted small">{delivery.eventId}</span></td>
                    <td><Badge value={delivery.status} /></td>
                    <td>{dateTime(delivery.createdAt)}</td>
                    <td><Attempts delivery={delivery} /></td>
                    {canWrite && (
                      <td>
                        {delivery.status !== 'PENDING' && (
                          <button type="button" disabled={busy !== ''} onClick={() => void act(`redeliver-${delivery.id}`, async () => { await api.redeliver(endpointId, delivery.id); deliveries.reload(); })} aria-label={`Redeliver ${delivery.eventType} ${delivery.eventId}`}>
                            Redeliver
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
    </main>
  );
}
