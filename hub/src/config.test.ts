import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('hub configuration', () => {
  it('group-commits by default; GROUP_COMMIT turns it off, and LEDGER_GROUP_COMMIT, its earlier name, still does', () => {
    expect(loadConfig({}).groupCommit).toBe(true);
    expect(loadConfig({ GROUP_COMMIT: 'false' }).groupCommit).toBe(false);
    expect(loadConfig({ LEDGER_GROUP_COMMIT: '0' }).groupCommit).toBe(false);
    expect(loadConfig({ GROUP_COMMIT: 'true', LEDGER_GROUP_COMMIT: 'false' }).groupCommit).toBe(true);
    expect(() => loadConfig({ GROUP_COMMIT: 'sometimes' })).toThrow(ConfigError);
  });
});
