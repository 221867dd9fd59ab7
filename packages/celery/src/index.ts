/**
 * `@girder-worker/celery`: Girder's Celery queue. Consumes (and publishes) girder_worker's
 * `docker_run` messages on Redis and RabbitMQ.
 * @packageDocumentation
 */

/** The Celery task name girder_worker's `docker_run` is published under. */
export const DOCKER_RUN_TASK = 'girder_worker.docker.tasks.docker_run';

export type { RawCeleryMessage, TaskContext, TaskHandler, TaskOutcome } from './task.ts';
export { TaskRevokedError } from './task.ts';
