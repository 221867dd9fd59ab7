import type { StreamSink, StreamSource } from '@girder-worker/pipes';
import { type Reporter, ResultTransform, Transform, type TransformContext } from '@girder-worker/transforms';

/** A reporter that keeps every line, by source. */
export function collectingReporter(): Reporter & {
  lines: string[];
  stdout: () => string[];
  stderr: () => string[];
} {
  const lines: string[] = [];
  return {
    lines,
    log: (line, source) => lines.push(`${source}:${line}`),
    progress: () => {},
    stdout: () => lines.filter((l) => l.startsWith('stdout:')).map((l) => l.slice(7)),
    stderr: () => lines.filter((l) => l.startsWith('stderr:')).map((l) => l.slice(7)),
  };
}

/** A stream source for Connect, from a factory (test-only transform). */
export class SourceOf extends Transform<StreamSource> {
  static readonly kind: string = 'SourceOf';
  readonly make: () => StreamSource;
  constructor(make: () => StreamSource) {
    super();
    this.make = make;
  }
  transform(): StreamSource {
    return this.make();
  }
  toJSON(): Record<string, unknown> {
    return {};
  }
}

/** A stream sink for Connect, from a factory (test-only transform). */
export class SinkOf extends Transform<StreamSink> {
  static readonly kind: string = 'SinkOf';
  readonly make: () => StreamSink;
  constructor(make: () => StreamSink) {
    super();
    this.make = make;
  }
  transform(): StreamSink {
    return this.make();
  }
  toJSON(): Record<string, unknown> {
    return {};
  }
}

/** A result hook running a function with the result-phase context. */
export class HookOf<R> extends ResultTransform<R> {
  static readonly kind: string = 'HookOf';
  readonly fn: (ctx: TransformContext) => R | Promise<R>;
  constructor(fn: (ctx: TransformContext) => R | Promise<R>) {
    super();
    this.fn = fn;
  }
  transform(ctx: TransformContext): R | Promise<R> {
    return this.fn(ctx);
  }
  toJSON(): Record<string, unknown> {
    return {};
  }
}
