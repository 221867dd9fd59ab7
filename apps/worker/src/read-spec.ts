import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BadInputError } from './errors.ts';

/** A spec as read by the CLI: its JSON and the directory its relative host paths are taken from. */
export interface ReadSpec {
  /** The parsed JSON (not validated yet). */
  json: unknown;
  /** The spec file's directory, or the current directory for stdin. */
  baseDir: string;
}

/**
 * Reads a run spec from a file, or from stdin for `-`, and parses it.
 * @param source - a path, or `-` for stdin
 * @returns the JSON and its base directory
 * @throws {@link BadInputError} when it cannot be read or is not JSON
 */
export async function readSpec(source: string): Promise<ReadSpec> {
  const fromStdin = source === '-';
  let text: string;
  try {
    text = fromStdin
      ? await new Response(process.stdin as unknown as ReadableStream).text()
      : await readFile(source, 'utf8');
  } catch (error) {
    throw new BadInputError(source, `cannot read the spec: ${(error as Error).message}`, { cause: error });
  }
  try {
    return { json: JSON.parse(text), baseDir: fromStdin ? process.cwd() : dirname(resolve(source)) };
  } catch (error) {
    throw new BadInputError(fromStdin ? 'stdin' : source, `not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
