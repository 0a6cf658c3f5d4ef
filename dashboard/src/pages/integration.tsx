import { useState } from 'react';
import type { HubApi } from '../api.js';
import { dateTime } from '../format.js';
import { Link } from '../router.js';
import type { SignedIn } from '../session.js';
import { Badge, ErrorNotice, Loading, PageTitle, useAsync } from '../ui.js';
import { SyncJobs } from './sync-jobs.js';
import { SyncSettings } from './sync-settings.js';

/** The seed's IntegrationStatus at a glance, with the pinned version, sync jobs, settings and disable. */
export function IntegrationPage({ s, api, connectorId }: { s: SignedIn; api: HubApi; connectorId: string }) {
  const loaded = useAsync(async () => {
    const [integration, status] = await Promise.all([api.integration(connectorId), api.status(connectorId)]);
    // The pinned version's manifest: its data types are the ones this integration syncs.
    const entry = await api.connector(connectorId, integration.version).catch(() => undefined);
    return { integration, status, entry };
  }, [connectorId]);
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState('');
  const canAdmin = s.can('admin');

  const act = async (label: string, action: () => Promise<unknown>): Promise<void> => {
    setBusy(label);
    setFailure(undefined);
    try {
      await action();
      loaded.reload();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy('');
    }
  };

  const data = loaded.data;
  const name = data?.entry?.manifest?.name ?? connectorId;
  const versionManifest = data?.entry?.manifest;
  return (
    <main id="main">
      <p className="breadcrumb"><Link to="/integrations">Integrations</Link> /</p>
      <PageTitle>{name}</PageTitle>
      {loaded.loading && !data && <Loading />}
      <ErrorNotice error={loaded.error} onRetry={loaded.reload} />
      {data && (
        <>
          <section aria-labelledby="status-heading" className="status-panel">
            <h2 id="status-heading">Status</h2>
            <dl className="facts">
              <dt>State</dt>
              <dd><Badge value={data.status.isActive ? 'ENABLED' : 'DISABLED'} /></dd>
              <dt>Last sync</dt>
              <dd>{dateTime(data.status.lastSyncAt)} {data.status.lastSyncStatus && <Badge value={data.status.lastSyncStatus} />}</dd>
              <dt>Errors</dt>
              <dd>{data.status.errorCount}{data.integration.lastError && <> — last at {dateTime(data.integration.lastErrorAt)}: <span className="error-text">{data.integration.lastError}</span></>}</dd>
              <dt>Next sync</dt>
              <dd>{dateTime(data.status.nextSyncAt)}</dd>
              <dt>Frequency</dt>
              <dd>{data.status.syncFrequency.toLowerCase().replace('_', ' ')}</dd>
              <dt>Data types</dt>
              <dd>{data.status.dataTypes.join(', ') || '—'}</dd>
              <dt>Credentials</dt>
              <dd>{Object.entries(data.integration.credentialsHint).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}</dd>
              {data.integration.authorization && (
                <>
                  <dt>Authorization</dt>
                  <dd>
                    <Badge value={data.integration.authorization.status} />
                    {data.integration.authorization.accessTokenHint && <> token {data.integration.authorization.accessTokenHint}</>}
                    {data.integration.authorization.expiresAt && <>, renewed before {dateTime(data.integration.authorization.expiresAt)}</>}
                    {canAdmin && data.integration.isActive && (
                      <>
                        {' '}
                        {/* A page of its own: the browser goes to the provider and comes back through the hub's callback. */}
                        <a className="button" href={api.authorizeUrl(connectorId)}>
                          {data.integration.authorization.status === 'AUTHORIZED' ? `Reconnect ${name}` : `Connect ${name}`}
                        </a>
                      </>
                    )}
                  </dd>
                </>
              )}
              <dt>Version</dt>
              <dd>
                v{data.integration.version} (pinned)
                {data.integration.availableVersion && (
                  <>
                    {' '}— v{data.integration.availableVersion} is installed.{' '}
                    {canAdmin && (
                      <button type="button" onClick={() => void act('upgrade', () => api.enable(connectorId, { version: data.integration.availableVersion as string }))} disabled={busy !== ''}>
                        {busy === 'upgrade' ? 'Switching…' : `Use v${data.integration.availableVersion}`}
                      </button>
                    )}
                  </>
                )}
              </dd>
            </dl>
            {canAdmin && (
              <div className="actions">
                {data.integration.isActive ? (
                  <button type="button" className="danger" disabled={busy !== ''} onClick={() => window.confirm(`Disable ${name}? Its history is kept and it can be enabled again.`) && void act('disable', () => api.disable(connectorId))}>
                    {busy === 'disable' ? 'Disabling…' : `Disable ${name}`}
                  </button>
                ) : (
                  <button type="button" disabled={busy !== ''} onClick={() => void act('enable', () => api.enable(connectorId, {}))}>
                    {busy === 'enable' ? 'Enabling…' : `Enable ${name} again`}
                  </button>
                )}
              </div>
            )}
            <ErrorNotice error={failure} />
          </section>
          <SyncJobs api={api} connectorId={connectorId} canSync={canAdmin} active={data.integration.isActive} onFinished={loaded.reload} />
          <SyncSettings api={api} connectorId={connectorId} dataTypes={versionManifest?.dataTypes ?? []} canEdit={canAdmin} />
        </>
      )}
    </main>
  );
}
