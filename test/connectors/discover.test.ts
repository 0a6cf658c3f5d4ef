import { expect, it } from 'vitest';
import { resolve } from 'node:path';
import { discover } from '../../hub/src/connectors/discover.js';
it('finds the sample connector once although it is also linked into node_modules', () => {
  const found = discover({ builtinDir: resolve('connectors'), nodeModulesDir: resolve('node_modules') });
  expect(found.filter((c) => c.dir.endsWith('/connectors/sample'))).toEqual([{ dir: resolve('connectors/sample'), origin: 'builtin' }]);
  expect(discover({ nodeModulesDir: resolve('node_modules') }).map((c) => c.origin)).toContain('package');
});
