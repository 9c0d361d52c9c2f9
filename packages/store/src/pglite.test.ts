import { factStoreContract } from '@callpermit/testing';
import { openStore } from './index.js';

// One embedded database for the file (start-up takes seconds); tests keep apart by business id.
factStoreContract('PGlite', () => openStore({ dataDir: 'memory://' }));
