// Prints, as one JSON line, which path each job of the TCP sources takes on the runtime running
// this script (tcpPaths(): an internal of node:net or its fallback). scripts/test-runtimes.mjs runs
// it with each runtime for the README's "Runs on" table. Needs a build (dist/).
import { tcpPaths } from '../dist/src/index.js';

console.log(JSON.stringify(await tcpPaths()));
process.exit(0);
