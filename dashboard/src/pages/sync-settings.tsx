import { useEffect, useState, type FormEvent } from 'react';
import { UahApiError } from '@uah/client/portable';
import type { IntegrationSyncConfig, ManifestDataType } from '@uah/schemas';
import type { HubApi } from '../api.js';
import { ErrorNotice, Loading, useAsync } from '../ui.js';

type Direction = NonNullable<IntegrationSyncConfig['direction']>;
type Conflict = NonNullable<IntegrationSyncConfig['conflictResolution']>;

/** `email = email_address` lines ↔ `{ email: 'email_address' }`. */
function mappingText(mapping: Record<string, string> | undefined): string {
  return Object.entries(mapping ?? {}).map(([ours, theirs]) => `${ours} = ${theirs}`).join('\n');
}
function mappingOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Direction, conflict rule, field mappings and schedule per data type, lookback window. */
export function SyncSettings({ api, connectorId, dataTypes, canEdit }: { api: HubApi; connectorId: string; dataTypes: ManifestDataType[]; canEdit: boolean }) {
  const loaded = useAsync(() => api.syncConfig(connectorId), [connectorId]);
  const [direction, setDirection] = useState<Direction | ''>('');
  const [conflict, setConflict] = useState<Conflict>('MASTER_WINS');
  const [schedule, setSchedule] = useState<Record<string, string>>({});
  const [mappings, setMappings] = useState<Record<string, string>>({});
  const [lookback, setLookback] = useState('15');
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState('');
  const [failure, setFailure] = useState<unknown>();

  useEffect(() => {
    const config = loaded.data;
    if (!config) return;
    setDirection(config.direction ?? '');
    setConflict(config.conflictResolution ?? 'MASTER_WINS');
    setSchedule(Object.fromEntries(dataTypes.map((d) => [d.type, String(config.schedule?.[d.type] ?? d.defaultFrequencyMinutes)])));
    setMappings(Object.fromEntries(dataTypes.map((d) => [d.type, mappingText(config.fieldMappings?.[d.type])])));
    setLookback(String(config.lookbackMinutes ?? 15));
  }, [loaded.data, dataTypes]);

  const save = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setSaving(true);
    setSaved('');
    setFailure(undefined);
    const body: IntegrationSyncConfig = {
      ...(direction ? { direction } : {}),
      conflictResolution: conflict,
      schedule: Object.fromEntries(Object.entries(schedule).map(([type, minutes]) => [type, Number(minutes)])),
      fieldMappings: Object.fromEntries(Object.entries(mappings).map(([type, text]): [string, Record<string, string>] => [type, mappingOf(text)]).filter(([, m]) => Object.keys(m).length > 0)),
      lookbackMinutes: Number(lookback),
    };
    try {
      await api.setSyncConfig(connectorId, body);
      setSaved('Sync settings saved.');
    } catch (error) {
      setFailure(error);
    } finally {
      setSaving(false);
    }
  };

  const fieldError = (pointer: string): string | undefined =>
    failure instanceof UahApiError ? failure.errors.filter((e) => e.field.startsWith(pointer)).map((e) => e.message).join('; ') || undefined : undefined;
  const bidirectional = dataTypes.some((d) => d.direction === 'bidirectional');

  return (
    <section aria-labelledby="settings-heading">
      <h2 id="settings-heading">Sync settings</h2>
      {loaded.loading && !loaded.data && <Loading />}
      <ErrorNotice error={loaded.error} onRetry={loaded.reload} />
      {loaded.data && (
        <form onSubmit={(e) => void save(e)} className="settings">
          <fieldset disabled={!canEdit || saving}>
            <legend className="visually-hidden">Sync settings</legend>
            <label htmlFor="sync-direction">Direction</label>
            <select id="sync-direction" value={direction} onChange={(e) => setDirection(e.target.value as Direction | '')} aria-describedby="sync-direction-help">
              <option value="">As each data type declares</option>
              <option value="pull">Pull only (provider → books)</option>
              <option value="push">Push only (books → provider)</option>
              <option value="bidirectional">Both ways</option>
            </select>
            <p id="sync-direction-help" className="muted small">{bidirectional ? 'Applies to the data types that sync both ways.' : 'This connector has no two-way data type; the setting is kept for later versions.'}</p>

            <label htmlFor="sync-conflict">When both sides changed a record</label>
            <select id="sync-conflict" value={conflict} onChange={(e) => setConflict(e.target.value as Conflict)}>
              <option value="MASTER_WINS">Keep the books' record</option>
              <option value="REMOTE_WINS">Take the provider's record</option>
              <option value="NEWEST_WINS">Take the one changed last</option>
            </select>

            <label htmlFor="sync-lookback">Re-read window of an incremental sync (minutes)</label>
            <input id="sync-lookback" type="number" min={0} max={10080} value={lookback} onChange={(e) => setLookback(e.target.value)} aria-invalid={Boolean(fieldError('/lookbackMinutes'))} />
            {fieldError('/lookbackMinutes') && <p className="error-text">{fieldError('/lookbackMinutes')}</p>}

            {dataTypes.map((d) => (
              <fieldset key={d.type} className="data-type">
                <legend>{d.type} ({d.direction})</legend>
                <label htmlFor={`schedule-${d.type}`}>Every … minutes (0 pauses the schedule)</label>
                <input id={`schedule-${d.type}`} type="number" min={0} max={100800} value={schedule[d.type] ?? ''} onChange={(e) => setSchedule({ ...schedule, [d.type]: e.target.value })} />
                {fieldError(`/schedule/${d.type}`) && <p className="error-text">{fieldError(`/schedule/${d.type}`)}</p>}
                <label htmlFor={`mapping-${d.type}`}>Field mappings, one per line: our field = the provider's</label>
                <textarea id={`mapping-${d.type}`} rows={3} value={mappings[d.type] ?? ''} onChange={(e) => setMappings({ ...mappings, [d.type]: e.target.value })} placeholder="email = email_address" />
                {fieldError(`/fieldMappings/${d.type}`) && <p className="error-text">{fieldError(`/fieldMappings/${d.type}`)}</p>}
              </fieldset>
            ))}
            {canEdit && (
              <div className="actions">
                <button type="submit">{saving ? 'Saving…' : 'Save sync settings'}</button>
              </div>
            )}
          </fieldset>
          <p role="status" aria-live="polite" className="announcement">{saved}</p>
          <ErrorNotice error={failure} />
        </form>
      )}
    </section>
  );
}
