import { describe, expect, it } from 'vitest';
import { type SlicerEvent, SlicerProgressParser, SlicerProgressTracker } from '../src/index.ts';
import { createSlicerProgressSink } from '../src/slicer-progress.ts';

const SAMPLE = [
  'Loading volume',
  '<filter-start>',
  '<filter-name>Otsu threshold</filter-name>',
  '<filter-comment>computing the histogram</filter-comment>',
  '</filter-start>',
  '<filter-progress>0.25</filter-progress>',
  '<filter-stage-progress>0.5</filter-stage-progress>',
  'halfway there',
  '<filter-progress>1</filter-progress><filter-end><filter-name>Otsu threshold</filter-name><filter-time>2.5</filter-time></filter-end>',
  'wrote mask.nrrd',
  '',
].join('\n');

const EXPECTED_EVENTS: SlicerEvent[] = [
  { type: 'start', name: 'Otsu threshold', comment: 'computing the histogram' },
  { type: 'progress', fraction: 0.25 },
  { type: 'stage-progress', fraction: 0.5 },
  { type: 'progress', fraction: 1 },
  { type: 'end', name: 'Otsu threshold', seconds: 2.5 },
];
const EXPECTED_LINES = ['Loading volume', 'halfway there', 'wrote mask.nrrd'];

function parseInPieces(text: string, cuts: number[]): { events: SlicerEvent[]; lines: string[] } {
  const parser = new SlicerProgressParser();
  const events: SlicerEvent[] = [];
  const lines: string[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b).concat(text.length)) {
    const out = parser.push(text.slice(at, cut));
    events.push(...out.events);
    lines.push(...out.lines);
    at = cut;
  }
  const rest = parser.end();
  lines.push(...rest.lines);
  return { events, lines };
}

describe('Slicer progress tags', () => {
  it('reads every tag and keeps every other line, however the text is cut', () => {
    expect(parseInPieces(SAMPLE, [])).toEqual({ events: EXPECTED_EVENTS, lines: EXPECTED_LINES });
    // Cut once at every position, and into equal pieces of every size up to 32.
    for (let at = 0; at <= SAMPLE.length; at++)
      expect(parseInPieces(SAMPLE, [at])).toEqual({ events: EXPECTED_EVENTS, lines: EXPECTED_LINES });
    for (let size = 1; size <= 32; size++) {
      const cuts = Array.from({ length: Math.ceil(SAMPLE.length / size) }, (_, k) => k * size);
      expect(parseInPieces(SAMPLE, cuts)).toEqual({ events: EXPECTED_EVENTS, lines: EXPECTED_LINES });
    }
  });

  it('clamps fractions, skips unreadable values, and gives up an unclosed tag past the bound', () => {
    const parser = new SlicerProgressParser(64);
    expect(parser.push('<filter-progress>1.7</filter-progress>\n').events).toEqual([
      { type: 'progress', fraction: 1 },
    ]);
    expect(parser.push('<filter-progress>half</filter-progress>\n').events).toEqual([]);
    const open = parser.push(`<filter-start>${'x'.repeat(100)}`);
    expect(open.lines).toHaveLength(1);
    expect(parser.push('more\n').lines).toEqual(['more']);
  });

  it('turns events into percent progress with a message', () => {
    const tracker = new SlicerProgressTracker();
    const shown = EXPECTED_EVENTS.map((e) => tracker.update(e));
    expect(shown[0]).toEqual({ total: 100, current: 0, message: 'Otsu threshold: computing the histogram' });
    expect(shown[1]).toEqual({ total: 100, current: 25, message: 'Otsu threshold: computing the histogram' });
    expect(shown[2]).toEqual({
      total: 100,
      current: 25,
      message: 'Otsu threshold: computing the histogram (stage 50%)',
    });
    expect(shown[4]).toEqual({
      total: 100,
      current: 100,
      message: 'Otsu threshold: computing the histogram done in 2.5 s',
    });
  });

  it('as a sink: progress to the reporter, other lines to its output', async () => {
    const progress: unknown[] = [];
    const lines: string[] = [];
    const sink = createSlicerProgressSink({
      log: (line, source) => lines.push(`${source}:${line}`),
      progress: (p) => progress.push(p),
    });
    const bytes = Buffer.from(SAMPLE);
    for (let i = 0; i < bytes.length; i += 7) sink.write(bytes.subarray(i, i + 7));
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(lines).toEqual(EXPECTED_LINES.map((l) => `stdout:${l}`));
    expect(progress).toHaveLength(5);
  });
});
