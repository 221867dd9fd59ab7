import type Docker from 'dockerode';
import { ImageNotFoundError } from './errors.ts';
import type { DockerRunEvent } from './events.ts';

/**
 * Pulls `image`, reporting each progress event, and fails on an `error` line (dockerode's
 * `followProgress` would report success).
 * @throws {@link ImageNotFoundError} naming the image when it cannot be had
 */
export async function pullImage(
  docker: Docker,
  image: string,
  onEvent: (event: DockerRunEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image, { abortSignal: signal });
  } catch (error) {
    signal.throwIfAborted();
    const reason =
      (error as { json?: { message?: string }; message?: string }).json?.message ?? (error as Error).message;
    throw new ImageNotFoundError(image, `could not be pulled: ${reason}`, { cause: error });
  }
  let buffered = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let event: {
        status?: string;
        id?: string;
        error?: string;
        progressDetail?: { current?: number; total?: number };
      };
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (event.error) throw new ImageNotFoundError(image, `could not be pulled: ${event.error}`);
      onEvent({
        type: 'pull',
        status: event.status ?? '',
        ...(event.id ? { layer: event.id } : {}),
        ...(event.progressDetail?.current === undefined ? {} : { current: event.progressDetail.current }),
        ...(event.progressDetail?.total === undefined ? {} : { total: event.progressDetail.total }),
      });
    }
  }
  signal.throwIfAborted();
}

/**
 * Makes sure `image` can run: pulls it when `pull` is true (as girder_worker does), then inspects
 * it, once.
 * @returns the image's inspect data (its labels ask for GPUs)
 * @throws {@link ImageNotFoundError}
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  pull: boolean,
  onEvent: (event: DockerRunEvent) => void,
  signal: AbortSignal,
): Promise<Docker.ImageInspectInfo> {
  if (pull) await pullImage(docker, image, onEvent, signal);
  try {
    return await docker.getImage(image).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    throw new ImageNotFoundError(
      image,
      pull
        ? 'is not present after its pull'
        : 'is not present and pullImage is false: build or pull it first',
      { cause: error },
    );
  }
}
