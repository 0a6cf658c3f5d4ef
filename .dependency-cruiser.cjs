/**
 * The dependency direction of STYLE.md as rules, so a wrong import fails `npm run lint` (and CI):
 *
 *   schemas ← connector-sdk ← connectors/*      schemas ← core      schemas ← client
 *   hub depends on all of them and is the only place that wires core and connectors together.
 *   schemas ← client ← dashboard (the web app talks to the hub only through the API).
 *   test/ (cross-package and end-to-end tests) may import anything.
 *
 * Paths are matched after resolution: `@uah/schemas` resolves through the workspace symlink to
 * `schemas/src/index.ts`, so a package name and a relative `../../core/src/...` path are caught alike.
 */

/** Our packages, as path prefixes after resolution. */
const OURS = '^(schemas|connector-sdk|core|hub|client|connectors|dashboard|test)/';
/** Test code inside a package: it may use the package's test helpers and dev tools, never another layer. */
const TEST_FILE = '[.]test[.]ts$';
/** Code that ships: each package's src/ (and a connector's)... */
const SHIPPED = '^(schemas/src|connector-sdk/src|core/src|hub/src|client/src|dashboard/src|connectors/[^/]+/src)/';
/** ...except tests and test helpers: by convention a `testing/` folder or a `testing.ts` module. */
const TEST_CODE = [TEST_FILE, '/testing/', '/testing[.]ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'schemas-imports-nothing-of-ours',
      severity: 'error',
      comment: 'schemas/ is the single source of truth at the bottom of the graph: it imports none of our packages.',
      from: { path: '^schemas/' },
      to: { path: OURS, pathNot: '^schemas/' },
    },
    {
      name: 'connector-sdk-imports-only-schemas',
      severity: 'error',
      comment: 'The connector SDK is the contract connectors build against: it may import @uah/schemas and npm packages only.',
      from: { path: '^connector-sdk/' },
      to: { path: OURS, pathNot: '^(connector-sdk|schemas)/' },
    },
    {
      name: 'connector-imports-only-connector-sdk',
      severity: 'error',
      comment:
        'A connector reaches the hub only through @uah/connector-sdk (and its provider SDK from npm): never core, hub, ' +
        'client, schemas directly, or another connector. The SDK re-exports the schema types a connector needs.',
      from: { path: '^connectors/([^/]+)/' },
      to: { path: OURS, pathNot: ['^connector-sdk/', '^connectors/$1/'] },
    },
    {
      name: 'core-imports-only-schemas',
      severity: 'error',
      comment: 'core is the accounting library and never names a provider: it may import @uah/schemas and npm packages only.',
      from: { path: '^core/' },
      to: { path: OURS, pathNot: '^(core|schemas)/' },
    },
    {
      name: 'client-imports-only-schemas',
      severity: 'error',
      comment: 'The typed client ships to API users: it may import @uah/schemas and npm packages only.',
      from: { path: '^client/' },
      to: { path: OURS, pathNot: '^(client|schemas)/' },
    },
    {
      name: 'dashboard-imports-only-client-and-schemas',
      severity: 'error',
      comment: 'The dashboard is a browser app that talks to the hub through the API: it may import the typed client, schema types and npm packages only.',
      from: { path: '^dashboard/' },
      to: { path: OURS, pathNot: '^(dashboard|client|schemas)/' },
    },
    {
      name: 'nothing-imports-hub',
      severity: 'error',
      comment: 'hub is the process that wires everything; nothing depends on it (except end-to-end tests in test/).',
      from: { pathNot: '^(hub|test)/' },
      to: { path: '^hub/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A runtime import cycle makes module initialisation order matter (a value is undefined when first read). ' +
        'Type-only imports are erased at compile time and are allowed to form cycles.',
      from: { path: OURS },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'The import does not resolve to a file: a typo, a missing `.js` specifier target, or an npm package that is not installed.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-npm-dependency',
      severity: 'error',
      comment:
        "The npm package is not declared in this workspace's package.json (or the root one): it works only because npm " +
        'hoisted it for another workspace, and breaks when that one drops it. Declare it where it is used.',
      from: { path: SHIPPED, pathNot: TEST_CODE },
      // Types are erased at run time; a type from a package one of our dependencies exposes (ajv's
      // ValidateFunction through @uah/schemas) is fine. Tests run from the root of the workspace.
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-dev-dependency-in-shipped-code',
      severity: 'error',
      comment: 'Code that runs in production must not import a devDependency (it is absent after `npm ci --omit=dev`). Type-only imports are fine.',
      from: { path: SHIPPED, pathNot: TEST_CODE },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: 'node_modules/@types/' },
    },
    {
      name: 'not-to-test-file',
      severity: 'error',
      comment: 'Nothing imports a test file: what two tests share belongs in a helper module.',
      from: {},
      to: { path: TEST_FILE },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^schemas/src/generated/', '(^|/)dist/', '(^|/)[.]data/', '(^|/)coverage/'] },
    moduleSystems: ['es6', 'cjs'],
    // Type-only imports count too: a connector must not even name core's types.
    tsPreCompilationDeps: true,
    // Each workspace's own package.json plus the root one decide which npm packages a file may import.
    combinedDependencies: true,
    // Resolves the NodeNext `.js` specifiers of our TypeScript sources to their `.ts` files.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.d.ts', '.json', '.cjs', '.mjs'],
      mainFields: ['main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
