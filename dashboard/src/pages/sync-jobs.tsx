import { useEffect, useRef, useState } from 'react';
import type { IntegrationSyncJob } from '@uah/schemas';
import type { HubApi } from '../api.js';
import { dateTime } from '../format.js';
import { Badge, Empty, ErrorNotice, Loading, TableScroll, useAsync } from '../ui.js';

const DONE = new Set(['SUCCESS', 'PARTIAL', 'FAILED']);
const POLL_MS = 1_000;

function JobRow({ job }: { job: IntegrationSyncJob }) {
  return (
    <tr>
      <td><Badge value={job.status} /></td>
      <td>{job.dataType} <span className="muted small">({job.direction})</span></td>
      <td>{job.trigger}{job.full ? ', full' : ''}</td>
      <td className="num">{job.counts.created}</td>
      <td className="num">{job.counts.updated}</td>
      <td className="num">{job.counts.skipped}</td>
      <td className="num">{job.counts.failed}</td>
      <td>{dateTime(job.startedAt ?? job.createdAt)}</td>
      <td>{dateTime(job.finishedAt)}</td>
      <td>
        {job.log.length === 0 && !job.error ? (
          <span className="muted">—</span>
        ) : (
          <details>
            <summary>{job.log.length} line{job.log.length === 1 ? '' : 's'}</summary>
            {job.error && <p className="error-text">{job.error}</p>}
            <ol className="log">
              {job.log.map((line, n) => (
                <li key={n} className={`log-${line.level}`}>
                  <time dateTime={line.at}>{dateTime(line.at)}</time> <strong>{line.level}</strong> {line.message}
                </li>
              ))}
            </ol>
          </details>
        )}
      </td>
    </tr>
  );
}

/** "Sync now", its progress while the queued jobs run, and the recent jobs with their counts and logs. */
export function SyncJobs({ api, connectorId, canSync, active, onFinished }: { api: HubApi; connectorId: string; canSync: boolean; active: boolean; onFinished(): void }) {
  const jobs = useAsync(() => api.syncJobs(connectorId), [connectorId]);
  const [watching, setWatching] = useState<string[]>([]);
  const [failure, setFailure] = useState<unknown>();
  const [announcement, setAnnouncement] = useState('');
  const finished = useRef(onFinished);
  finished.current = onFinished;

  const running = (jobs.data?.data ?? []).filter((job) => watching.includes(job.id) && !DONE.has(job.status));
  const watched = (jobs.data?.data ?? []).filter((job) => watching.includes(job.id));

  useEffect(() => {
    if (watching.length === 0) return;
    if (watched.length === watching.length && running.length === 0) {
      setAnnouncement(`Sync finished: ${watched.map((j) => `${j.dataType} ${j.status.toLowerCase()}`).join(', ')}.`);
      setWatching([]);
      finished.current();
      return;
    }
    const timer = setTimeout(jobs.reload, POLL_MS);
    return () => clearTimeout(timer);
  });

  const syncNow = async (): Promise<void> => {
    setFailure(undefined);
    setAnnouncement('');
    try {
      const queued = await api.syncNow(connectorId);
      setWatching(queued.data.map((job) => job.id));
      setAnnouncement(`Sync started: ${queued.data.length} job${queued.data.length === 1 ? '' : 's'} queued.`);
      jobs.reload();
    } catch (error) {
      setFailure(error);
    }
  };

  return (
    <section aria-labelledby="sync-heading">
      <h2 id="sync-heading">Sync jobs</h2>
      {canSync && (
        <div className="actions">
          <button type="button" className="primary" onClick={() => void syncNow()} disabled={!active || watching.length > 0}>
            {watching.length > 0 ? 'Syncing…' : 'Sync now'}
          </button>
          {!active && <span className="muted small">Enable the integration to sync.</span>}
        </div>
      )}
      {watching.length > 0 && (
        <div className="progress-block">
          <progress aria-label="Sync in progress" />
          <ul className="small">
            {watched.map((job) => (
              <li key={job.id}>{job.dataType} ({job.direction}): {job.status.toLowerCase()}, {job.counts.created} created, {job.counts.updated} updated</li>
            ))}
          </ul>
        </div>
      )}
      <p role="status" aria-live="polite" className="announcement">{announcement}</p>
      <ErrorNotice error={failure} />
      <ErrorNotice error={jobs.error} onRetry={jobs.reload} />
      {jobs.loading && !jobs.data && <Loading />}
      {jobs.data?.data.length === 0 && (
        <Empty title="No sync has run yet.">
          <p>{canSync ? 'Press “Sync now”, or wait for the schedule.' : 'Syncs run on the schedule below.'}</p>
        </Empty>
      )}
      {jobs.data && jobs.data.data.length > 0 && (
        <TableScroll label="Sync jobs">
          <table>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Data type</th>
                <th scope="col">Trigger</th>
                <th scope="col" className="num">Created</th>
                <th scope="col" className="num">Updated</th>
                <th scope="col" className="num">Skipped</th>
                <th scope="col" className="num">Failed</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">Log</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.data.map((job) => (
                <JobRow key={job.id} job={job} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
