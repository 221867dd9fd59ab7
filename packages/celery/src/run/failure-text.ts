import { isDockerRunError, isImageNotFoundError } from '@girder-worker/docker';
import { isTaskTimeLimitError } from './errors.ts';

/** How a failed task is described: the exception type and text girder_worker would report. */
export interface FailureText {
  /** The type name (Python's where there is one, e.g. `DockerException`). */
  type: string;
  /** The message. */
  message: string;
}

/**
 * Describes a failure the way girder_worker's failure handler writes it to the job log
 * (`<Type>: <message>`), with Python's texts where Python has one: a non-zero exit is
 * `DockerException: Non-zero exit code from docker container (N).`
 * @param error - what the run threw
 * @returns the type and message
 */
export function failureText(error: unknown): FailureText {
  if (isDockerRunError(error)) {
    return {
      type: 'DockerException',
      message: `Non-zero exit code from docker container (${error.exitCode}).`,
    };
  }
  if (isTaskTimeLimitError(error)) {
    return {
      type: error.kind === 'hard' ? 'TimeLimitExceeded' : 'SoftTimeLimitExceeded',
      message: `${error.kind === 'hard' ? 'TimeLimitExceeded' : 'SoftTimeLimitExceeded'}(${error.seconds})`,
    };
  }
  if (isImageNotFoundError(error)) return { type: 'ImageNotFound', message: error.message };
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: 'Error', message: String(error) };
}
