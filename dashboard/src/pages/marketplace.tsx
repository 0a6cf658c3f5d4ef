import type { ConnectorCatalogEntry, Integration } from '@uah/schemas';
import type { HubApi } from '../api.js';
import { Link } from '../router.js';
import type { SignedIn } from '../session.js';
import { Badge, Empty, ErrorNotice, Loading, PageTitle, useAsync } from '../ui.js';

function Card({ entry, integration, canEnable }: { entry: ConnectorCatalogEntry; integration: Integration | undefined; canEnable: boolean }) {
  const manifest = entry.manifest;
  const headingId = `connector-${entry.id}`;
  const problems = entry.versions.filter((v) => !v.available && v.problem);
  return (
    <article className="card" aria-labelledby={headingId}>
      <header>
        <h2 id={headingId}>{manifest?.name ?? entry.id}</h2>
        <p className="muted small">
          {manifest?.category ?? 'unknown category'} · {entry.latestVersion ? `v${entry.latestVersion}` : 'no usable version'}
        </p>
        <Badge value={entry.available ? 'AVAILABLE' : 'UNAVAILABLE'} />
        {integration && <Badge value={integration.isActive ? 'ENABLED' : 'DISABLED'} />}
      </header>
      {manifest && <p>{manifest.description}</p>}
      {problems.length > 0 && (
        <div className="notice warning">
          <p><strong>{entry.available ? 'Some versions cannot be used:' : 'Why it is unavailable:'}</strong></p>
          <ul>
            {problems.map((v) => (
              <li key={v.version}>
                v{v.version}: {v.problem?.message} <span className="muted">({v.problem?.code})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <dl className="facts">
        <dt>Asks to</dt>
        <dd>{entry.permissions.length ? entry.permissions.join(', ') : 'nothing in your books'}</dd>
        <dt>Calls</dt>
        <dd>{entry.allowedHosts.length ? entry.allowedHosts.join(', ') : 'no host'}</dd>
        {manifest && (
          <>
            <dt>Syncs</dt>
            <dd>{manifest.dataTypes.length ? manifest.dataTypes.map((d) => `${d.type} (${d.direction})`).join(', ') : 'nothing'}</dd>
            <dt>Sign-in</dt>
            <dd>{manifest.auth.type === 'oauth2' ? 'OAuth2 (connect with the provider)' : manifest.auth.type.replace('_', ' ')}</dd>
          </>
        )}
      </dl>
      <footer>
        {integration?.isActive ? (
          <Link to={`/integrations/${entry.id}`}>Manage {manifest?.name ?? entry.id}</Link>
        ) : entry.available && canEnable ? (
          <Link className="button primary" to={`/marketplace/${entry.id}`}>
            Enable {manifest?.name ?? entry.id}
          </Link>
        ) : entry.available ? (
          <p className="muted small">Enabling needs a key with the admin scope.</p>
        ) : null}
      </footer>
    </article>
  );
}

export function MarketplacePage({ s, api }: { s: SignedIn; api: HubApi }) {
  const catalog = useAsync(async () => {
    const [entries, integrations] = await Promise.all([api.catalog(), api.integrations()]);
    return { entries: entries.data, integrations: integrations.data };
  }, []);
  return (
    <main id="main">
      <PageTitle>Marketplace</PageTitle>
      <p className="lead">Connectors installed on this hub. Enable one to connect a provider to your books.</p>
      {catalog.loading && !catalog.data && <Loading label="Loading the catalog…" />}
      <ErrorNotice error={catalog.error} onRetry={catalog.reload} />
      {catalog.data && catalog.data.entries.length === 0 && (
        <Empty title="No connector is installed on this hub.">
          <p>An operator installs connectors with <code>npm run hub -- connector install &lt;path|package&gt;</code>; they appear here at the next visit.</p>
        </Empty>
      )}
      <div className="cards">
        {catalog.data?.entries.map((entry) => (
          <Card key={entry.id} entry={entry} integration={catalog.data?.integrations.find((i) => i.connectorId === entry.id)} canEnable={s.can('admin')} />
        ))}
      </div>
    </main>
  );
}
