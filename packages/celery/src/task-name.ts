/** The Celery task name girder_worker's `docker_run` is published under. */
export const DOCKER_RUN_TASK = 'girder_worker.docker.tasks.docker_run';
