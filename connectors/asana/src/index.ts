import manifest from '../connector.json' with { type: 'json' };
import { defineConnector } from '@uah/connector-sdk';
import { asana, type Config, type Credentials } from './api.js';
import { pullCompletions } from './completions.js';
import { onProjectEvent } from './projects.js';

export type { Config, Credentials } from './api.js';

export default defineConnector<Credentials, Config>({
  manifest,
  check: async (ctx) => {
    await asana(ctx).users.getUser('me', { opt_fields: 'name' });
  },
  onEvent: onProjectEvent,
  sync: { milestone: pullCompletions },
});
