/**
 * The contract test kit: what a connector's own tests use to check it the way the hub will.
 * Import it from `@uah/connector-sdk/testing`.
 */
export { createTestContext, contractProblems, type TestContext } from './contract.js';
export { startScriptedServer, type ScriptedReply, type ScriptedServer, type ReceivedRequest } from './scripted-server.js';
