import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import {
  type FieldReader,
  type Progress,
  type Reporter,
  Transform,
  type TransformContext,
} from '@girder-worker/transforms';
import type { StreamSink } from './connector.ts';

/** What one Slicer execution-model tag says. */
export type SlicerEvent =
  | { type: 'start'; name?: string; comment?: string }
  | { type: 'progress'; fraction: number }
  | { type: 'stage-progress'; fraction: number }
  | { type: 'end'; name?: string; seconds?: number };

const BLOCKS = ['filter-start', 'filter-end'] as const;
const VALUES = ['filter-progress', 'filter-stage-progress'] as const;
const OPENING = /<(filter-start|filter-end|filter-progress|filter-stage-progress)>/;

function inner(block: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(block);
  return match?.[1]?.trim();
}

function fraction(text: string): number | undefined {
  const value = Number.parseFloat(text);
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : undefined;
}

/**
 * Reads Slicer execution-model progress from a text stream in pieces of any size: the tags
 * `<filter-start>` (with `<filter-name>`, `<filter-comment>`), `<filter-progress>`,
 * `<filter-stage-progress>` (fractions 0–1) and `<filter-end>` (with `<filter-name>`,
 * `<filter-time>`), as Slicer CLIs print them on stdout; tags may span lines and chunks. Text
 * outside the tags comes back as lines. Pending text is bounded (`maxPendingChars`): a tag left
 * open longer than that is given up and its text returned as output.
 */
export class SlicerProgressParser {
  #pending = '';
  readonly #maxPending: number;

  /** @param maxPendingChars - longest unfinished tag or line kept @default 65536 */
  constructor(maxPendingChars = 65_536) {
    this.#maxPending = maxPendingChars;
  }

  /**
   * Feeds text; returns the events and the complete output lines it finished.
   * @param text - the next piece of the stream
   */
  push(text: string): { events: SlicerEvent[]; lines: string[] } {
    this.#pending += text;
    const events: SlicerEvent[] = [];
    const lines: string[] = [];
    for (;;) {
      const open = OPENING.exec(this.#pending);
      const newline = this.#pending.indexOf('\n');
      if (newline >= 0 && (!open || newline < open.index)) {
        this.#emitText(this.#pending.slice(0, newline), lines);
        this.#pending = this.#pending.slice(newline + 1);
        continue;
      }
      if (!open) break;
      const tag = open[1] as (typeof BLOCKS)[number] | (typeof VALUES)[number];
      const close = this.#pending.indexOf(`</${tag}>`, open.index);
      if (close < 0) break;
      this.#emitText(this.#pending.slice(0, open.index), lines);
      const body = this.#pending.slice(open.index + open[0].length, close);
      this.#pending = this.#pending.slice(close + tag.length + 3);
      const event = toEvent(tag, body);
      if (event) events.push(event);
    }
    if (this.#pending.length > this.#maxPending) {
      lines.push(this.#pending);
      this.#pending = '';
    }
    return { events, lines };
  }

  /** Ends the stream: what is left becomes output. */
  end(): { events: SlicerEvent[]; lines: string[] } {
    const rest = this.#pending;
    this.#pending = '';
    const lines: string[] = [];
    this.#emitText(rest, lines);
    return { events: [], lines };
  }

  #emitText(text: string, lines: string[]): void {
    if (text.trim() !== '') lines.push(text);
  }
}

function toEvent(tag: string, body: string): SlicerEvent | undefined {
  if (tag === 'filter-progress' || tag === 'filter-stage-progress') {
    const value = fraction(body);
    if (value === undefined) return undefined;
    return tag === 'filter-progress'
      ? { type: 'progress', fraction: value }
      : { type: 'stage-progress', fraction: value };
  }
  const name = inner(body, 'filter-name');
  if (tag === 'filter-start') {
    const comment = inner(body, 'filter-comment');
    return { type: 'start', ...(name ? { name } : {}), ...(comment ? { comment } : {}) };
  }
  const time = inner(body, 'filter-time');
  const seconds = time === undefined ? undefined : Number.parseFloat(time);
  return {
    type: 'end',
    ...(name ? { name } : {}),
    ...(seconds !== undefined && Number.isFinite(seconds) ? { seconds } : {}),
  };
}

/**
 * Turns Slicer events into run progress (`total` 100, `current` in percent) with a message such
 * as `Otsu threshold: computing the histogram (stage 40%)`.
 */
export class SlicerProgressTracker {
  #name = '';
  #comment = '';
  #percent = 0;
  #stage: number | undefined;

  /**
   * @param event - the next event
   * @returns the progress to report
   */
  update(event: SlicerEvent): Progress {
    switch (event.type) {
      case 'start':
        this.#name = event.name ?? this.#name;
        this.#comment = event.comment ?? '';
        this.#percent = 0;
        this.#stage = undefined;
        break;
      case 'progress':
        this.#percent = Math.round(event.fraction * 1000) / 10;
        break;
      case 'stage-progress':
        this.#stage = Math.round(event.fraction * 100);
        break;
      case 'end':
        this.#percent = 100;
        this.#stage = undefined;
        break;
    }
    const what = [this.#name, this.#comment].filter(Boolean).join(': ');
    const stage = this.#stage === undefined ? '' : ` (stage ${this.#stage}%)`;
    const done =
      event.type === 'end' ? ` done${event.seconds === undefined ? '' : ` in ${event.seconds} s`}` : '';
    const message = `${what}${done}${stage}`.trim();
    return { total: 100, current: this.#percent, ...(message ? { message } : {}) };
  }
}

/**
 * A Writable that reads Slicer progress tags: progress goes to `reporter.progress`, every other
 * line to `reporter.log(line, 'stdout')`, so nothing the container prints is lost.
 */
export function createSlicerProgressSink(reporter: Reporter): Writable {
  const decoder = new StringDecoder('utf8');
  const parser = new SlicerProgressParser();
  const tracker = new SlicerProgressTracker();
  const deliver = ({ events, lines }: { events: SlicerEvent[]; lines: string[] }): void => {
    for (const event of events) reporter.progress(tracker.update(event));
    for (const line of lines) reporter.log(line.replace(/\r$/, ''), 'stdout');
  };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      deliver(parser.push(decoder.write(chunk)));
      callback();
    },
    final(callback) {
      deliver(parser.push(decoder.end()));
      deliver(parser.end());
      callback();
    },
  });
}

/**
 * The output side of a {@link Connect} that reads Slicer execution-model progress, for Slicer CLI
 * images: `new Connect(new ContainerStdOut(), new SlicerProgress())` turns `<filter-progress>`
 * and friends on the container's stdout into the run's progress (and a Girder job's progress
 * message), and passes every other line on as output.
 */
export class SlicerProgress extends Transform<StreamSink> {
  /** Serialization kind. */
  static readonly kind: string = 'SlicerProgress';

  /**
   * Revives a serialized marker (it has no fields).
   * @param _fields - Ignored.
   * @returns A new sink.
   */
  static fromJSON(_fields: FieldReader): SlicerProgress {
    return new SlicerProgress();
  }

  /**
   * @param ctx - The run's context: its reporter gets progress and output lines.
   * @returns A sink factory.
   */
  override transform(ctx: TransformContext): StreamSink {
    return () => createSlicerProgressSink(ctx.reporter);
  }

  /** @returns No fields. */
  override toJSON(): Record<string, unknown> {
    return {};
  }

  /** @returns `SlicerProgress`. */
  override toString(): string {
    return 'SlicerProgress';
  }
}
