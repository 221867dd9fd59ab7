import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/** The file the CLI build makes of `src/run-main.ts` (CommonJS, `.cjs`), beside `cli.js`. */
export const RUN_ENTRY_FILE = 'cli-run';

/**
 * An esbuild plugin for the code-split CLI build: `run-loader.ts`'s import of `run-main.ts` becomes
 * an import of `./cli-run.cjs`, which a second, unsplit CommonJS build makes of `run-main.ts`
 * (everything `run` loads, in one file). Node's ES-module loader costs about a millisecond of CPU
 * for each file it resolves, reads and links; `run` loaded twenty chunks. The loader compiles that
 * file itself, with a code cache made after a run (see `run-loader.ts`); the import is its fallback.
 * @returns the esbuild plugin
 */
export function runEntryAsOwnFile(): Plugin {
  return {
    name: 'run-entry-as-own-file',
    setup(build) {
      build.onResolve({ filter: /^\.\/run-main\.ts$/ }, (args) =>
        /[\\/]src[\\/]run-loader\.ts$/.test(args.importer)
          ? { path: `./${RUN_ENTRY_FILE}.cjs`, external: true }
          : undefined,
      );
    },
  };
}
