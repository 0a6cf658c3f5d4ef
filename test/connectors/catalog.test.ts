import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog, type Catalog } from '../../hub/src/connectors/catalog.js';
import { connectorFolder, connectorSource, testManifest, type ConnectorFolder } from './fixtures.js';

let folder: ConnectorFolder;
let catalog: Catalog;
const limits = { maxOldGenerationSizeMb: 96 };

beforeAll(async () => {
  folder = connectorFolder();
  folder.add('good');
  folder.add('good-v2', { manifest: testManifest('good', { version: '2.0.0' }) });
  folder.add('bad-manifest', { manifest: { ...testManifest('bad-manifest'), category: 'astrology' } });
  folder.add('old-sdk', { manifest: testManifest('old-sdk', { sdk: '^9.0.0' }) });
  folder.add('throws-at-import', { source: `throw new Error('boom at import');` });
  folder.add('spins-at-import', { source: `for (;;) {}` });
  folder.add('no-default', { source: `export const x = 1;` });
  folder.add('mismatch', { source: connectorSource().replace("manifest,", "manifest: { ...manifest, version: '9.9.9' },") });
  folder.add('broken-json', { source: connectorSource() });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${folder.root}/broken-json/connector.json`, '{ "id": ');
  catalog = await createCatalog({ search: { paths: [folder.root] }, limits, loadTimeoutMs: 4_000 });
}, 60_000);
afterAll(() => folder.remove());

describe('the catalog', () => {
  it('lists good connectors as available, with several versions side by side, newest first', () => {
    expect(catalog.versions('good').map((e) => [e.version, e.available])).toEqual([['2.0.0', true], ['1.0.0', true]]);
    expect(catalog.get('good')?.version).toBe('2.0.0');
    expect(catalog.get('good', '1.0.0')?.module).toMatchObject({ id: 'good', sync: ['customer'], actions: ['echo'] });
  });

  it.each([
    ['bad-manifest', 'MANIFEST_INVALID', /category/],
    ['old-sdk', 'SDK_RANGE', /\^9\.0\.0/],
    ['throws-at-import', 'IMPORT_FAILED', /boom at import/],
    ['spins-at-import', 'IMPORT_TIMEOUT', /longer than/],
    ['no-default', 'IMPORT_FAILED', /defineConnector/],
    ['mismatch', 'MODULE_MISMATCH', /9\.9\.9/],
    ['broken-json', 'MANIFEST_INVALID', /cannot be read/],
  ])('lists %s as unavailable: %s', (id, code, message) => {
    const entry = catalog.versions(id)[0];
    expect(entry?.available).toBe(false);
    expect(entry?.problem?.code).toBe(code);
    expect(entry?.problem?.message).toMatch(message);
    expect(catalog.get(id)).toBeUndefined();
  });

  it('finds a connector added later on refresh, without a restart', async () => {
    expect(catalog.get('late')).toBeUndefined();
    folder.add('late');
    await catalog.refresh();
    expect(catalog.get('late')?.available).toBe(true);
  }, 20_000);
});
