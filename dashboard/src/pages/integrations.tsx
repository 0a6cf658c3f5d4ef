import type { Integration, IntegrationStatus } from '@uah/schemas';
import type { HubApi } from '../api.js';
import { dateTime } from '../format.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorNotice, Loading, PageTitle, TableScroll, useAsync } from '../ui.js';

export function IntegrationsPage({ api }: { api: HubApi }) {
  const list = useAsync(async () => {
    const integrations = (await api.integrations()).data;
    const statuses = await Promise.all(integrations.map((i) => api.status(i.connectorId).catch(() => undefined)));
    return integrations.map((integration, n): [Integration, IntegrationStatus | undefined] => [integration, statuses[n]]);
  }, []);
  return (
    <main id="main">
      <PageTitle>Integrations</PageTitle>
      {list.loading && !list.data && <Loading />}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data?.length === 0 && (
        <Empty title="No integration yet.">
          <p>
            Pick a connector in the <Link to="/marketplace">marketplace</Link> and enable it: its status, syncs and settings then appear here.
          </p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <TableScroll label="Integrations">
          <table>
            <thead>
              <tr>
                <th scope="col">Connector</th>
                <th scope="col">State</th>
                <th scope="col">Last sync</th>
                <th scope="col">Errors</th>
                <th scope="col">Next sync</th>
                <th scope="col">Frequency</th>
                <th scope="col">Data types</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map(([integration, status]) => (
                <tr key={integration.id}>
                  <th scope="row">
                    <Link to={`/integrations/${integration.connectorId}`}>{integration.connectorId}</Link> <span className="muted small">v{integration.version}</span>
                  </th>
                  <td><Badge value={integration.isActive ? 'ENABLED' : 'DISABLED'} /></td>
                  <td>
                    {dateTime(status?.lastSyncAt)} {status?.lastSyncStatus && <Badge value={status.lastSyncStatus} />}
                  </td>
                  <td>{integration.errorCount}</td>
                  <td>{dateTime(status?.nextSyncAt)}</td>
                  <td>{status?.syncFrequency ?? '—'}</td>
                  <td>{status?.dataTypes.join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </main>
  );
}
