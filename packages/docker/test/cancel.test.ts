import { PassThrough } from 'node:stream';
import { Connect, NamedInputPipe } from '@girder-worker/pipes';
import { assertNoLeaks, LOCAL_IMAGE } from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun } from '../src/index.ts';
import { SourceOf } from './helpers.ts';

afterEach(() => assertNoLeaks());

describe('cancel', () => {
  it('stops a running container and leaves nothing behind', async () => {
    const controller = new AbortController();
    // Longer than the test timeout: only a stopped container lets the run end in time.
    const run = dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['sleep', '3600'],
      signal: controller.signal,
      stopGraceMs: 500,
      onEvent: (event) => {
        if (event.type === 'started') setTimeout(() => controller.abort(new Error('cancelled by test')), 200);
      },
    });
    await expect(run).rejects.toThrow('cancelled by test');
  });

  it('cancels mid-stream: the pipe, the connector and the container all end', async () => {
    const controller = new AbortController();
    const endless = new PassThrough();
    const timer = setInterval(() => endless.write(Buffer.alloc(64 * 1024)), 5);
    try {
      const run = dockerRun({
        ...LOCAL_IMAGE,
        containerArgs: [
          'sh',
          '-c',
          'cat "$0" > /dev/null',
          new Connect(new SourceOf(() => endless), new NamedInputPipe('endless')),
        ],
        signal: controller.signal,
        stopGraceMs: 500,
        onEvent: (event) => {
          if (event.type === 'started') setTimeout(() => controller.abort(new Error('stop streaming')), 500);
        },
      });
      await expect(run).rejects.toThrow('stop streaming');
    } finally {
      clearInterval(timer);
      endless.destroy();
    }
  });

  it('does nothing when the signal is already aborted', async () => {
    const error = await dockerRun({
      ...LOCAL_IMAGE,
      containerArgs: ['true'],
      signal: AbortSignal.abort(new Error('early')),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('early');
  });
});
