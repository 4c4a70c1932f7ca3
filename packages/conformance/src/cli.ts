/**
 * The `netlayers-packetdrill` command (see `packetdrill/cli-main.ts`).
 * @module
 */
import { main } from './packetdrill/cli-main.js';

process.exitCode = main(process.argv.slice(2));
