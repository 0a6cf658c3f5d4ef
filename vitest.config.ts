import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{schemas,connector-sdk,core,hub,client,connectors,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Each file deletes the queues it declared on the shared RabbitMQ; the run checks that none are left.
    setupFiles: ['test/setup/queues.ts'],
    globalSetup: ['test/setup/broker.ts'],
  },
});
