import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger, Progress, Reporter } from '@girder-worker/transforms';
import { describe, expect, it } from 'vitest';
import { createProgressSink, parseProgressLine } from '../src/progress-sink.ts';

function recorder(): { reporter: Reporter; logger: Logger; progress: Progress[]; warnings: string[] } {
  const progress: Progress[] = [];
  const warnings: string[] = [];
  const reporter: Reporter = { log() {}, progress: (p) => progress.push(p) };
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, context) => warnings.push(`${message} ${JSON.stringify(context)}`),
    error: (message) => warnings.push(`error: ${message}`),
  };
  return { reporter, logger, progress, warnings };
}

/** Feeds `text` split at every given offset. */
function split(text: string, cuts: number[]): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(bytes.subarray(start, cut));
    start = cut;
  }
  return Readable.from(parts);
}

describe('createProgressSink', () => {
  it('reports lines split across chunks, even inside a multi-byte character', async () => {
    const { reporter, logger, progress, warnings } = recorder();
    const text = '{"total": 10, "current": 1, "message": "Schritt één"}\n{"current": 2}\n{"message":"done"}';
    const euro = Buffer.from(text).indexOf(Buffer.from('é')) + 1; // between the two bytes of é
    await pipeline(split(text, [3, 20, euro, 60, 61]), createProgressSink({ reporter, logger }));
    expect(progress).toEqual([
      { total: 10, current: 1, message: 'Schritt één' },
      { current: 2 },
      { message: 'done' },
    ]);
    expect(warnings).toEqual([]);
  });

  it('logs and skips malformed lines and keeps going', async () => {
    const { reporter, logger, progress, warnings } = recorder();
    const text = [
      'not json',
      '[1,2]',
      '{"total": "ten"}',
      '{"current": -1}',
      '{"other": 1}',
      '{"message": 5}',
      '',
      '   ',
      '{"total": 3, "current": 3}',
    ].join('\r\n');
    await pipeline(split(text, [5, 17]), createProgressSink({ reporter, logger }));
    expect(progress).toEqual([{ total: 3, current: 3 }]);
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toContain('not JSON');
    expect(warnings[2]).toContain('total: expected a number >= 0, got "ten"');
  });

  it('skips a line longer than the limit without holding it in memory', async () => {
    const { reporter, logger, progress, warnings } = recorder();
    const long = `{"message":"${'x'.repeat(5000)}"}`;
    const parts = [long.slice(0, 2000), long.slice(2000, 4000), `${long.slice(4000)}\n{"current":1}\n`];
    await pipeline(
      Readable.from(parts.map((p) => Buffer.from(p))),
      createProgressSink({ reporter, logger, maxLineLength: 1000 }),
    );
    expect(progress).toEqual([{ current: 1 }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('longer than the limit');
  });

  it('survives a reporter that throws', async () => {
    const { logger, warnings } = recorder();
    const reporter: Reporter = {
      log() {},
      progress() {
        throw new Error('job API down');
      },
    };
    await pipeline(Readable.from([Buffer.from('{"current":1}\n')]), createProgressSink({ reporter, logger }));
    expect(warnings).toEqual(['error: the progress reporter failed']);
  });

  it('rejects a missing reporter and a bad line limit', () => {
    expect(() => createProgressSink({} as never)).toThrow(/options\.reporter/);
    expect(() => createProgressSink({ reporter: recorder().reporter, maxLineLength: 0 })).toThrow(
      /maxLineLength: expected a positive integer, got 0/,
    );
  });

  it('parses single lines', () => {
    expect(parseProgressLine('{"total":1,"current":null}')).toEqual({ progress: { total: 1 } });
    expect(parseProgressLine('{"total":Infinity}')).toEqual({ problem: 'not JSON' });
  });
});
