import type { BankAccount, BankAccountCreate, BankFeedImport, BankReconciliationRun, BankStatementImport, ConnectorEntities } from '@uah/connector-sdk';

/** Bank accounts and a feed in memory, keeping the books' rule: one line per bank account and bank id. */
export function memoryBanking(): { entities: Partial<ConnectorEntities>; accounts: BankAccount[]; lines: Map<string, BankFeedImport['transactions'][number] & { bankAccountId: string }>; reconciled: BankReconciliationRun[] } {
  const accounts: BankAccount[] = [];
  const lines = new Map<string, BankFeedImport['transactions'][number] & { bankAccountId: string }>();
  const reconciled: BankReconciliationRun[] = [];
  const now = (): string => new Date().toISOString();
  const bankAccounts = {
    get: async (id: string) => accounts.find((a) => a.id === id),
    list: async () => ({ data: [...accounts], nextCursor: null }),
    create: async (input: BankAccountCreate) => {
      const account = { id: `bac_test${accounts.length + 1}`, object: 'bank_account', organizationId: 'org_test', name: input.name, ledgerAccountId: 'acc_bank', currency: input.currency ?? 'AUD', accountNumber: input.accountNumber ?? null, bankName: input.bankName ?? null, status: 'ACTIVE', metadata: input.metadata ?? {}, createdAt: now(), updatedAt: now() } as unknown as BankAccount;
      accounts.push(account);
      return account;
    },
    update: async () => {
      throw new Error('not used');
    },
  } as unknown as ConnectorEntities['bankAccounts'];
  const bankTransactions = {
    get: async () => undefined,
    list: async () => ({ data: [], nextCursor: null }),
    importFeed: async (bankAccountId: string, input: BankFeedImport) => {
      let imported = 0;
      for (const t of input.transactions) {
        const key = `${bankAccountId}|${t.id}`;
        if (lines.has(key)) continue;
        lines.set(key, { ...t, bankAccountId });
        imported += 1;
      }
      return { imported, duplicates: input.transactions.length - imported } as BankStatementImport;
    },
    reconcile: async (input: BankReconciliationRun = {}) => {
      reconciled.push(input);
      return { object: 'bank_reconciliation_result', considered: 0, matched: 0, suggested: 0, unmatched: 0, dryRun: false, matches: [] };
    },
  } as unknown as ConnectorEntities['bankTransactions'];
  return { entities: { bankAccounts, bankTransactions }, accounts, lines, reconciled };
}
