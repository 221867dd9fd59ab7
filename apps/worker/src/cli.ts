#!/usr/bin/env node
// The girder-worker command. Kept to the minimum: Node's compile cache is switched on before any
// of the app is loaded, and each command loads what it needs only when it runs (see commands/);
// `run` comes as one file of its own (run-main.ts), loaded with a code cache of its own (run-loader.ts).
import module from 'node:module';
import { loadRunMain } from './run-loader.ts';

module.enableCompileCache?.();
const { main } = process.argv[2] === 'run' ? await loadRunMain() : await import('./program.ts');
await main(process.argv);
