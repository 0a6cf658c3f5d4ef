import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import { api, listAll, VERSION, type Config, type Credentials, type RemoteBalance, type RemotePage } from './api.js';
import { ACCOUNT_MAPPING, balanceOf } from './accounts.js';
import { pullBankTransactions } from './sync.js';

export default defineConnector<Credentials, Config>({
  manifest,
  check: async (ctx) => {
    await api(ctx).get('/banking/accounts', { query: { 'page-size': 1 }, headers: { 'x-v': VERSION.accounts }, retries: 0 });
  },
  sync: { bank_transaction: pullBankTransactions },
  actions: {
    get_account_balances: async (ctx, input) => {
      const wanted = (input as { accountIds?: string[] }).accountIds;
      const client = api(ctx);
      const remote: RemoteBalance[] = [];
      if (wanted?.length) {
        const page = await client.post<RemotePage<'balances', RemoteBalance>>('/banking/accounts/balances', { json: { data: { accountIds: wanted } }, query: { 'page-size': Math.max(wanted.length, 25) }, headers: { 'x-v': VERSION.balancesOf } });
        remote.push(...page.data.balances);
      } else {
        for await (const b of listAll<'balances', RemoteBalance>(client, '/banking/accounts/balances', 'balances', VERSION.bulkBalances, { 'page-size': ctx.config.pageSize ?? 100 })) remote.push(b);
      }
      const balances = [];
      for (const b of remote) balances.push(balanceOf(b, (await ctx.mappings.internalIdOf(ACCOUNT_MAPPING, b.accountId)) ?? null));
      return { balances };
    },
  },
});
