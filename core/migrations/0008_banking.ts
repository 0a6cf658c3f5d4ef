import type { Knex } from 'knex';

/**
 * Banking: bank accounts (each tied to a ledger account of the same organization), the statement files
 * imported into them, and the bank transactions read from those files. A transaction is unique per bank
 * account by its source id (the bank's FITID / AcctSvcrRef, or a stable hash), so a file imported twice or
 * two statements that overlap insert each transaction once: the unique index is the dedupe record and it
 * commits with the insert. A payment reconciles with at most one bank transaction.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bank_accounts', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('name').notNullable();
    t.text('ledger_account_id').notNullable();
    t.foreign(['organization_id', 'ledger_account_id']).references(['organization_id', 'id']).inTable('accounts');
    t.specificType('currency', 'char(3)').notNullable();
    t.text('account_number');
    // Letters and digits only, upper case: how statement files are matched to the account.
    t.text('account_key');
    t.text('bank_name');
    t.text('status').notNullable().defaultTo('ACTIVE');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
  });
  await knex.raw(`ALTER TABLE bank_accounts ADD CONSTRAINT bank_accounts_status_check CHECK (status IN ('ACTIVE', 'INACTIVE'))`);
  await knex.raw('CREATE UNIQUE INDEX bank_accounts_account_key_unique ON bank_accounts (organization_id, account_key) WHERE account_key IS NOT NULL');

  await knex.schema.createTable('bank_statement_imports', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('bank_account_id').notNullable();
    t.foreign(['organization_id', 'bank_account_id']).references(['organization_id', 'id']).inTable('bank_accounts');
    t.text('format').notNullable();
    t.text('file_name');
    t.text('file_sha256').notNullable();
    t.integer('imported').notNullable();
    t.integer('duplicates').notNullable();
    t.jsonb('result').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['organization_id', 'id']);
    t.index(['organization_id', 'bank_account_id']);
  });

  await knex.schema.createTable('bank_transactions', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('bank_account_id').notNullable();
    t.foreign(['organization_id', 'bank_account_id']).references(['organization_id', 'id']).inTable('bank_accounts');
    t.text('import_id');
    t.foreign(['organization_id', 'import_id']).references(['organization_id', 'id']).inTable('bank_statement_imports');
    t.text('source_id').notNullable();
    t.date('date').notNullable();
    t.date('value_date');
    t.bigInteger('amount').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.text('direction').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.text('counterparty');
    t.text('reference');
    t.text('type');
    t.bigInteger('running_balance');
    t.text('status').notNullable().defaultTo('UNMATCHED');
    t.text('payment_id');
    t.foreign(['organization_id', 'payment_id']).references(['organization_id', 'id']).inTable('payments');
    t.text('match_method');
    t.double('match_confidence');
    t.text('transfer_entry_id').references('journal_entries.id');
    t.timestamp('matched_at', { useTz: true });
    t.jsonb('suggestions').notNullable().defaultTo('[]');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.unique(['bank_account_id', 'source_id']);
    t.index(['organization_id', 'status', 'date']);
    t.index(['organization_id', 'bank_account_id', 'date']);
  });
  await knex.raw(`ALTER TABLE bank_transactions
    ADD CONSTRAINT bank_transactions_direction_check CHECK ((direction = 'CREDIT' AND amount >= 0) OR (direction = 'DEBIT' AND amount <= 0)),
    ADD CONSTRAINT bank_transactions_status_check CHECK (status IN ('UNMATCHED', 'MATCHED')),
    ADD CONSTRAINT bank_transactions_match_check CHECK ((status = 'MATCHED') = (payment_id IS NOT NULL AND matched_at IS NOT NULL AND match_method IN ('AUTO', 'MANUAL'))),
    ADD CONSTRAINT bank_transactions_confidence_check CHECK (match_confidence IS NULL OR (match_confidence >= 0 AND match_confidence <= 1))`);
  await knex.raw('CREATE UNIQUE INDEX bank_transactions_payment_unique ON bank_transactions (organization_id, payment_id) WHERE payment_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['bank_transactions', 'bank_statement_imports', 'bank_accounts']) await knex.schema.dropTableIfExists(table);
}
