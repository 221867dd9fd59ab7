import { describe, expect, it } from 'vitest';
import { formatBytes } from '../src/format-bytes.ts';
import { applyRunEvent, createLiveStatus, liveStatusText } from '../src/live-status.ts';

describe('the live status line of `run`', () => {
  it('shows nothing before the first event', () => {
    expect(liveStatusText(createLiveStatus())).toBe('');
  });

  it('sums the bytes of the layers being downloaded, then of those being extracted', () => {
    const status = createLiveStatus();
    applyRunEvent(status, { type: 'pull', status: 'Pulling from library/alpine' });
    expect(liveStatusText(status)).toBe('girder-worker: pulling');
    applyRunEvent(status, { type: 'pull', status: 'Downloading', layer: 'a', current: 1024, total: 2048 });
    applyRunEvent(status, {
      type: 'pull',
      status: 'Downloading',
      layer: 'b',
      current: 512,
      total: 3 * 1024 ** 2,
    });
    expect(liveStatusText(status)).toBe('girder-worker: pulling 1.5 KiB of 3.0 MiB');
    // Extraction starts over from the layers it reports; later download lines do not leave it.
    applyRunEvent(status, { type: 'pull', status: 'Extracting', layer: 'a', current: 100, total: 2048 });
    applyRunEvent(status, { type: 'pull', status: 'Download complete', layer: 'b' });
    expect(liveStatusText(status)).toBe('girder-worker: extracting 100 B of 2.0 KiB');
  });

  it('counts the seconds running from the start, then shows the exit code with the progress', () => {
    const status = createLiveStatus();
    applyRunEvent(status, { type: 'created', containerId: 'c' });
    expect(liveStatusText(status)).toBe('girder-worker: created');
    applyRunEvent(status, { type: 'started', containerId: 'c' }, 10_000);
    expect(liveStatusText(status, 13_400)).toBe('girder-worker: running 3 s');
    status.progress = { total: 8, current: 3, message: 'tiles' };
    expect(liveStatusText(status, 13_400)).toBe('girder-worker: running 3 s · progress 38% tiles');
    applyRunEvent(status, { type: 'stream', name: 'ProgressPipe(.girder_progress)', bytes: 40 });
    applyRunEvent(status, { type: 'exited', containerId: 'c', exitCode: 0 });
    expect(liveStatusText(status)).toBe('girder-worker: exited with code 0 · progress 38% tiles');
  });

  it('shows a progress without a total or a message as it is, and a cancel', () => {
    const status = createLiveStatus();
    status.progress = { current: 3 };
    expect(liveStatusText(status)).toBe('girder-worker: progress');
    applyRunEvent(status, { type: 'cancelled', reason: 'SIGINT received' });
    status.progress = { message: 'halfway' };
    expect(liveStatusText(status)).toBe('girder-worker: cancelling · progress halfway');
  });
});

describe('byte counts', () => {
  it('use binary units with one decimal, up to TiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MiB');
    expect(formatBytes(2 * 1024 ** 5)).toBe('2048.0 TiB');
  });
});
