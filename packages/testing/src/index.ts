// @callpermit/testing: the FactStore contract suite every store runs, fact builders and fast-check
// arbitraries for histories and for malformed inputs, capture lines in Meta's wire shapes
// (@callpermit/testing/wire). The builders and most arbitraries are written beside core's own tests and come
// from core's test entry point; the rest is this package's.
export * from '@callpermit/core/testing';
export { batches, type HistoryStep, historyFacts, historySteps } from './arbitraries.js';
export { factStoreContract } from './factStoreContract.js';
export { callbackChanged, factsFor, uniqueBusiness, uniquePair } from './facts.js';
export { describeWithPostgres } from './postgres.js';
