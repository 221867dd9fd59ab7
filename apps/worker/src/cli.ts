#!/usr/bin/env node
// The girder-worker command. Kept to the minimum: Node's compile cache is switched on before any
// of the app is loaded, and each command loads what it needs only when it runs (see commands/);
// `run` comes as one file of its own (run-main.ts).
import module from 'node:module';

module.enableCompileCache?.();
const { main } = process.argv[2] === 'run' ? await import('./run-main.ts') : await import('./program.ts');
await main(process.argv);
