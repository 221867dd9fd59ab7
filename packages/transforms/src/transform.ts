import type { TransformContext } from './context.ts';
import type { FieldReader } from './field-reader.ts';

/** What a run reports to its result hooks. */
export interface RunResultInfo {
  /** The container's exit code. */
  exitCode: number;
  /** The container id, when there was one. */
  containerId?: string;
  /** Anything else the runner adds. */
  [key: string]: unknown;
}

/**
 * A value that turns into a real one just before the container starts (a container path, a named
 * pipe, a downloaded file), and cleans up after itself. Subclasses set `static readonly kind`
 * (their serialization name) and `static fromJSON(fields)`, so the class is its own
 * {@link TransformKind}.
 *
 * @typeParam T - what the transform turns into
 */
export abstract class Transform<T = unknown> {
  /**
   * Turns this placeholder into its value for this run.
   * @param ctx - the run's context (phase, temporary volume, signal, logger, services)
   */
  abstract transform(ctx: TransformContext): T | Promise<T>;

  /** Releases whatever {@link Transform.transform} created. Called once, whatever happened. */
  cleanup?(ctx: TransformContext): void | Promise<void>;

  /**
   * The fields `serialize` writes after `"$transform"`. Nested transforms may appear as
   * instances: serialization keeps their identity.
   */
  abstract toJSON(): Record<string, unknown>;

  /** The serialization kind: the class's static `kind`. */
  get kind(): string {
    return (this.constructor as { kind?: string }).kind ?? this.constructor.name;
  }

  /**
   * The fields shown by {@link Transform.toString}: by default the JSON fields. Override to hide
   * secrets (header values, tokens).
   */
  protected displayFields(): Record<string, unknown> {
    return this.toJSON();
  }

  /** Display form for logs and job records, e.g. `VolumePath("out.txt")`. Never a secret. */
  toString(): string {
    const parts = Object.entries(this.displayFields())
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${displayValue(v)}`);
    return `${this.kind}(${parts.join(', ')})`;
  }
}

function displayValue(value: unknown): string {
  if (value instanceof Transform) return value.toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(displayValue).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return '{…}';
  return String(value);
}

/**
 * A result hook: runs after the container exited (phase `result`, host paths), e.g. an upload.
 * `exception` runs instead when the run failed (e.g. to upload logs for debugging).
 *
 * @typeParam R - what the hook returns into the run's results
 */
export abstract class ResultTransform<R = unknown> extends Transform<R> {
  /**
   * Runs the hook.
   * @param ctx - the run's context, phase `result`
   * @param result - what the run reported (exit code, container id)
   */
  abstract override transform(ctx: TransformContext, result?: RunResultInfo): R | Promise<R>;

  /** Runs when the run failed, instead of {@link ResultTransform.transform}. */
  exception?(ctx: TransformContext, error: unknown): void | Promise<void>;
}

/** A class that can be revived from JSON: its `kind` and a `fromJSON` reading validated fields. */
export interface TransformKind<T extends Transform = Transform> {
  /** The name written as `"$transform"`. */
  readonly kind: string;
  /** Builds an instance from its fields (nested transforms already revived). */
  fromJSON(fields: FieldReader): T;
}

/** True for any {@link Transform} instance. */
export function isTransform(value: unknown): value is Transform {
  return value instanceof Transform;
}
