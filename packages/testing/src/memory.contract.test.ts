import { MemoryFactStore } from '@callpermit/core';
import { factStoreContract } from './factStoreContract.js';

// The reference semantics: the in-memory store the engine ships with.
factStoreContract('memory', async () => new MemoryFactStore());
