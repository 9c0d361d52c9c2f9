// Opens the embedded store at argv[2], says so on stdout, and keeps it open until stdin closes: the other
// process in the data-directory lock test.
import { openStore } from '../index.js';

const store = await openStore({ dataDir: process.argv[2] as string });
console.log(JSON.stringify({ ready: true, pid: process.pid }));
process.stdin.resume();
process.stdin.on('end', () => {
  void store.close().then(() => process.exit(0));
});
