import module, { createRequire } from 'node:module';

// Node's built-ins come from `process.getBuiltinModule` where they are used: imported here, the CLI
// build would load them (and the chunks it shares them through) for every command.
const fs = (): typeof import('node:fs') => process.getBuiltinModule('node:fs');
const path = (): typeof import('node:path') => process.getBuiltinModule('node:path');

/** What `run-main.ts` exports: the program with the run command only. */
export interface RunMain {
  main(argv: readonly string[]): Promise<void>;
}

/** The bundle the CLI build makes of `run-main.ts` (CommonJS), beside `cli.js`. */
const BUNDLE = 'cli-run.cjs';

/**
 * Loads `run`'s program. Built, it is one CommonJS file (`cli-run.cjs`), compiled here with a V8
 * code cache made *after* a run: Node's own compile cache is made when a file is compiled, so it
 * holds only the code that runs at load, and every run compiled the rest (the option parser, the
 * Docker client, the streams, the run itself) again. The cache lives in Node's compile cache
 * directory, is written once (after the first run, and again when V8 refuses it: another Node, a
 * new build), and is used only when it is this user's own file and nobody else may write it.
 * Whatever turns Node's compile cache off (`NODE_DISABLE_COMPILE_CACHE=1`) turns it off too. From
 * source (no bundle), it is a plain import.
 * @returns the run program's entry
 */
export async function loadRunMain(): Promise<RunMain> {
  const bundle = path().join(import.meta.dirname, BUNDLE);
  // Set by `cli.ts` (`module.enableCompileCache()`); undefined when Node's cache is off.
  const cacheDir = module.getCompileCacheDir?.();
  if (cacheDir !== undefined) {
    const loaded = loadWithCodeCache(bundle, path().join(cacheDir, 'girder-worker'));
    if (loaded) return loaded;
  }
  // The CLI build turns this into an import of `./cli-run.cjs`.
  return import('./run-main.ts');
}

/** Compiles and runs `bundle` as CommonJS with the code cache in `dir`; undefined without the bundle. */
function loadWithCodeCache(bundle: string, dir: string): RunMain | undefined {
  const { Script, constants: vmConstants } = process.getBuiltinModule('node:vm');
  let source: string;
  try {
    source = fs().readFileSync(bundle, 'utf8');
  } catch {
    return undefined;
  }
  const cacheFile = path().join(dir, `cli-run-${process.versions.v8}-${hashOf(bundle)}.v8`);
  const cachedData = readOwnFile(cacheFile);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cachedData || script.cachedDataRejected) {
    // After the run, when the functions it used are compiled; a failed write only costs speed.
    process.once('beforeExit', () => writeOwnFile(dir, cacheFile, () => script.createCachedData()));
  }
  const exports: Record<string, unknown> = {};
  const cjsModule = { exports };
  script.runInThisContext()(exports, createRequire(bundle), cjsModule, bundle, path().dirname(bundle));
  return cjsModule.exports as unknown as RunMain;
}

/** The file's bytes when it is a regular file of this user that only this user may write; else undefined. */
function readOwnFile(file: string): Buffer | undefined {
  const { closeSync, constants, fstatSync, openSync, readFileSync } = fs();
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    const uid = process.getuid?.();
    if (!stats.isFile() || (uid !== undefined && stats.uid !== uid) || (stats.mode & 0o022) !== 0)
      return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes `file` (mode 0600, in `dir` made 0700) through a temporary file and a rename; never throws. */
function writeOwnFile(dir: string, file: string, data: () => Buffer): void {
  const { mkdirSync, renameSync, writeFileSync } = fs();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}`;
    writeFileSync(temporary, data(), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch {
    // No cache this time.
  }
}

/** A short, stable hash of a string (FNV-1a), to key the cache by the bundle's path. */
function hashOf(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16);
}
