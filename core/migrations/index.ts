import type { Knex } from 'knex';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_ledger.js';
import * as m0003 from './0003_sales.js';
import * as m0004 from './0004_payments.js';
import * as m0005 from './0005_idempotency_outcomes.js';
import * as m0006 from './0006_webhooks.js';
import * as m0007 from './0007_integrations.js';
import * as m0008 from './0008_banking.js';
import * as m0009 from './0009_purchasing.js';
import * as m0010 from './0010_projects.js';
import * as m0011 from './0011_bank_bill_payments.js';
import * as m0012 from './0012_oauth.js';
import * as m0013 from './0013_connector_operations.js';
import * as m0014 from './0014_webhook_delivery_paths.js';
import * as m0015 from './0015_sessions.js';
import * as m0016 from './0016_organization_tiers.js';
import * as m0017 from './0017_payouts.js';
import * as m0018 from './0018_event_relay_cursor.js';
import * as m0019 from './0019_account_balance_rows.js';
import * as m0020 from './0020_customers_duplicate_index.js';
import * as m0021 from './0021_bank_payouts.js';
import * as m0022 from './0022_webhook_leases_by_owner.js';
import * as m0023 from './0023_inline_ledger_functions.js';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

/** Every migration, in order. A static list, so that migrations load the same under node, tsx and vitest. */
const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_ledger': m0002,
  '0003_sales': m0003,
  '0004_payments': m0004,
  '0005_idempotency_outcomes': m0005,
  '0006_webhooks': m0006,
  '0007_integrations': m0007,
  '0008_banking': m0008,
  '0009_purchasing': m0009,
  '0010_projects': m0010,
  '0011_bank_bill_payments': m0011,
  '0012_oauth': m0012,
  '0013_connector_operations': m0013,
  '0014_webhook_delivery_paths': m0014,
  '0015_sessions': m0015,
  '0016_organization_tiers': m0016,
  '0017_payouts': m0017,
  '0018_event_relay_cursor': m0018,
  '0019_account_balance_rows': m0019,
  '0020_customers_duplicate_index': m0020,
  '0021_bank_payouts': m0021,
  '0022_webhook_leases_by_owner': m0022,
  '0023_inline_ledger_functions': m0023,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = migrations[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration;
  },
};
