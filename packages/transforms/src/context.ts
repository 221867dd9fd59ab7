import { randomUUID } from 'node:crypto';
import { type Logger, silentLogger } from './logger.ts';
import { type Reporter, silentReporter } from './reporter.ts';
import { Services } from './services.ts';
import type { TemporaryVolume } from './volumes.ts';

/** Whether arguments are being prepared (container paths) or results handled (host paths). */
export type TransformPhase = 'argument' | 'result';

/** Everything a transform may use while it runs. */
export interface TransformContext {
  /** `argument` before the container starts, `result` in result hooks. */
  readonly phase: TransformPhase;
  /** Identifies the run (labels, logs). */
  readonly runId: string;
  /** This run's own default temporary volume (its directory exists); `TemporaryVolume.default` resolves to it. */
  readonly temporaryVolume: TemporaryVolume;
  /** Aborts when the run is cancelled. */
  readonly signal: AbortSignal;
  /** Where transforms log. */
  readonly logger: Logger;
  /** Where log lines and progress of the run go. */
  readonly reporter: Reporter;
  /** Typed services, e.g. the Girder client. */
  readonly services: Services;
}

/** Options of {@link createTransformContext}. */
export interface TransformContextOptions {
  /** This run's default temporary volume, already created. */
  temporaryVolume: TemporaryVolume;
  /**
   * Run id.
   * @default a random UUID
   */
  runId?: string;
  /**
   * Cancels the run.
   * @default a signal that never aborts
   */
  signal?: AbortSignal;
  /** @default silentLogger */
  logger?: Logger;
  /** @default silentReporter */
  reporter?: Reporter;
  /** @default no services */
  services?: Services;
  /** @default 'argument' */
  phase?: TransformPhase;
}

/** Builds a {@link TransformContext}, filling defaults. */
export function createTransformContext(options: TransformContextOptions): TransformContext {
  return Object.freeze({
    phase: options.phase ?? 'argument',
    runId: options.runId ?? randomUUID(),
    temporaryVolume: options.temporaryVolume,
    signal: options.signal ?? new AbortController().signal,
    logger: options.logger ?? silentLogger,
    reporter: options.reporter ?? silentReporter,
    services: options.services ?? new Services(),
  });
}

/** The same context in another phase. */
export function withPhase(ctx: TransformContext, phase: TransformPhase): TransformContext {
  return Object.freeze({ ...ctx, phase });
}
