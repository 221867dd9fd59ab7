#!/usr/bin/env node
// The girder-worker command. Kept to the minimum: Node's compile cache is switched on before any
// of the app is loaded, and each command loads what it needs only when it runs (see commands/).
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('./program.ts');
await main(process.argv);
