export type { CliIo } from './commands/query.js';
export { CliFailure, Exit } from './failure.js';
export { main, program } from './main.js';
