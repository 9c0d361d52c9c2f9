// @callpermit/testing: the FactStore contract suite every store runs, fact builders and fast-check
// arbitraries for histories.
export { batches, type HistoryStep, historyFacts, historySteps } from './arbitraries.js';
export { factStoreContract } from './factStoreContract.js';
export { callbackChanged, DAY, factsFor, T0, testSource, uniqueBusiness, uniquePair } from './facts.js';
