import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { CurrencyCode, LedgerSettings } from '@uah/schemas';
import type { OrganizationService } from '../auth/organization-service.js';

type Db = Knex | Knex.Transaction;

export interface SettingsApi {
  /** Seeds the ledger of an organization that predates it (created before the ledger existed). */
  ensure(organizationId: string, db?: Db): Promise<void>;
  get(organizationId: string): Promise<LedgerSettings>;
  /** Sets or clears the lock date: nothing can be posted on or before it (the database checks it too, at commit). */
  setLockDate(organizationId: string, lockDate: string | null): Promise<LedgerSettings>;
}

interface SettingsRow {
  organizationId: string;
  baseCurrency: CurrencyCode;
  lockDate: string | null;
  updatedAt: Date | string;
}

const toSettings = (row: SettingsRow): LedgerSettings => ({
  object: 'ledger_settings',
  organizationId: row.organizationId,
  baseCurrency: row.baseCurrency,
  lockDate: row.lockDate,
  updatedAt: new Date(row.updatedAt).toISOString(),
});

export function createSettingsApi(deps: {
  knex: Knex;
  organizations: Pick<OrganizationService, 'get' | 'baseCurrency'>;
  seed(trx: Knex.Transaction, organization: { id: string; baseCurrency: CurrencyCode }): Promise<void>;
  /** Called after this process changed the settings of an organization. */
  onChange(organizationId: string): void;
}): SettingsApi {
  const { knex } = deps;
  // Organizations known to have a ledger: once seeded, always seeded, so this never goes stale.
  const seeded = new Set<string>();

  async function read(organizationId: string, db: Db): Promise<SettingsRow | undefined> {
    const result = await db.raw<{ rows: SettingsRow[] }>(
      `SELECT organization_id AS "organizationId", base_currency AS "baseCurrency", lock_date::text AS "lockDate", updated_at AS "updatedAt"
         FROM ledger_settings WHERE organization_id = ?`,
      [organizationId],
    );
    return result.rows[0];
  }

  const api: SettingsApi = {
    async ensure(organizationId, db) {
      if (seeded.has(organizationId)) return;
      if (!(await read(organizationId, db ?? knex))) {
        const organization = await deps.organizations.get(organizationId);
        const seed = (trx: Knex.Transaction) => deps.seed(trx, organization);
        try {
          if (db && db.isTransaction) await seed(db as Knex.Transaction);
          else await knex.transaction(seed);
        } catch (error) {
          // Another request seeded it first.
          if (!(error instanceof UniqueViolationError) && (error as { code?: string }).code !== '23505') throw error;
        }
      }
      seeded.add(organizationId);
    },

    async get(organizationId) {
      await api.ensure(organizationId);
      const row = await read(organizationId, knex);
      if (!row) throw new Error(`ledger settings of ${organizationId} missing after seeding`);
      return toSettings(row);
    },

    async setLockDate(organizationId, lockDate) {
      await api.ensure(organizationId);
      await knex('ledger_settings').where({ organizationId }).update({ lockDate, chartVersion: knex.raw('chart_version + 1'), updatedAt: knex.fn.now() });
      deps.onChange(organizationId);
      return api.get(organizationId);
    },
  };
  return api;
}
