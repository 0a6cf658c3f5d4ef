import type { Knex } from 'knex';

/** Hub-wide settings (not of any organization), such as the admin token's hash. */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  /** Sets the value only if the key has none yet; returns the value that is stored afterwards. */
  setIfAbsent<T>(key: string, value: T): Promise<T>;
  set<T>(key: string, value: T): Promise<void>;
}

export function createSettingsStore(knex: Knex): SettingsStore {
  return {
    async get<T>(key: string) {
      const row = (await knex('hub_settings').where({ key }).first()) as { value: T } | undefined;
      return row?.value;
    },
    async setIfAbsent<T>(key: string, value: T) {
      await knex('hub_settings').insert({ key, value: JSON.stringify(value) }).onConflict('key').ignore();
      const row = (await knex('hub_settings').where({ key }).first()) as { value: T };
      return row.value;
    },
    async set<T>(key: string, value: T) {
      await knex('hub_settings').insert({ key, value: JSON.stringify(value), updated_at: knex.fn.now() }).onConflict('key').merge();
    },
  };
}
