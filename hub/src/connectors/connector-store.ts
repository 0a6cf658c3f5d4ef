import type { Knex } from 'knex';
// Rows come back camelCased by the database's response hook; columns are named in snake_case.
import type { ExternalIdMappings, JsonValue, SyncStateStore } from '@uah/connector-sdk';

/** Where one organization's integration with one connector keeps its links and state. */
export interface ConnectorScope {
  organizationId: string;
  connectorId: string;
}

const MAX_KEY = 200;
const MAX_STATE_BYTES = 64 * 1024;

function checkText(what: string, value: unknown, max = MAX_KEY): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new TypeError(`${what} must be a string of 1 to ${max} characters`);
  return value;
}

/** A full pass in progress: the links of `entityType` it looks up or makes are marked as seen by `jobId`. */
export interface SeenBy {
  jobId: string;
  entityType: string;
}

/**
 * The external-id links of one organization and connector. Linking replaces an earlier link of either
 * side, in one transaction, so the one-to-one rule holds under concurrent syncs. During a full pass
 * (`seenBy`), looking a provider record up or linking it records that the pass saw it: the links it did
 * not see are the provider's deletions.
 */
export function createMappings(knex: Knex, scope: ConnectorScope, seenBy?: SeenBy): ExternalIdMappings {
  const marks = (entityType: string): boolean => seenBy !== undefined && entityType === seenBy.entityType;
  const rows = (db: Knex | Knex.Transaction, entityType: string): Knex.QueryBuilder =>
    db('connector_mappings').where({ organization_id: scope.organizationId, connector_id: scope.connectorId, entity_type: checkText('entityType', entityType) });
  return {
    async externalIdOf(entityType, internalId) {
      const row = await rows(knex, entityType).where('internal_id', checkText('internalId', internalId)).first<{ externalId: string } | undefined>('external_id');
      return row?.externalId;
    },
    async internalIdOf(entityType, externalId) {
      const match = rows(knex, entityType).where('external_id', checkText('externalId', externalId));
      if (marks(entityType)) {
        // The provider still has it: seen by this pass, and no longer deleted if an earlier pass thought so.
        const [seen] = await match.update({ seen_by_job: seenBy?.jobId, remote_deleted_at: null }).returning<Array<{ internalId: string }>>('internal_id');
        return seen?.internalId;
      }
      const row = await match.first<{ internalId: string } | undefined>('internal_id');
      return row?.internalId;
    },
    async link(entityType, internalId, externalId) {
      checkText('internalId', internalId);
      checkText('externalId', externalId);
      await knex.transaction(async (trx) => {
        await rows(trx, entityType).where((q) => void q.where('internal_id', internalId).orWhere('external_id', externalId)).delete();
        await trx('connector_mappings').insert({
          organization_id: scope.organizationId, connector_id: scope.connectorId, entity_type: entityType, internal_id: internalId, external_id: externalId,
          ...(marks(entityType) ? { seen_by_job: seenBy?.jobId } : {}),
        });
      });
    },
    async unlink(entityType, internalId) {
      await rows(knex, entityType).where('internal_id', checkText('internalId', internalId)).delete();
    },
  };
}

/** Small JSON state of one organization and connector (cursors, high-water marks), 64 KiB per key at most. */
export function createSyncState(knex: Knex, scope: ConnectorScope): SyncStateStore {
  const rows = (): Knex.QueryBuilder => knex('connector_state').where({ organization_id: scope.organizationId, connector_id: scope.connectorId });
  return {
    async get(key) {
      const row = await rows().where('key', checkText('key', key)).first<{ value: JsonValue } | undefined>('value');
      return row?.value;
    },
    async set(key, value) {
      checkText('key', key);
      const json = JSON.stringify(value);
      if (json === undefined || Buffer.byteLength(json) > MAX_STATE_BYTES) throw new TypeError(`state values must be JSON of at most ${MAX_STATE_BYTES} bytes`);
      await knex('connector_state')
        .insert({ organization_id: scope.organizationId, connector_id: scope.connectorId, key, value: json, updated_at: knex.fn.now() })
        .onConflict(['organization_id', 'connector_id', 'key'])
        .merge(['value', 'updated_at']);
    },
    async delete(key) {
      await rows().where('key', checkText('key', key)).delete();
    },
  };
}
