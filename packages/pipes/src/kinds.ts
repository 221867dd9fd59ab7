import type { TransformKind } from '@girder-worker/transforms';
import { ChunkedTransferEncodingStream } from './chunked-transfer-encoding-stream.ts';
import { Connect } from './connect.ts';
import { HostFileSink, HostFileSource } from './host-file.ts';
import { NamedInputPipe, NamedOutputPipe } from './named-pipe.ts';
import { ProgressPipe } from './progress-pipe.ts';
import { SlicerProgress } from './slicer-progress.ts';
import { ContainerStdErr, ContainerStdOut, HostStdErr, HostStdOut } from './std-streams.ts';

/**
 * Every transform kind of this package, for the serialization registry:
 * `createRegistry(coreKinds, pipesKinds)`.
 */
export const pipesKinds: readonly TransformKind[] = Object.freeze([
  NamedInputPipe,
  NamedOutputPipe,
  Connect,
  ProgressPipe,
  ChunkedTransferEncodingStream,
  HostStdOut,
  HostStdErr,
  ContainerStdOut,
  ContainerStdErr,
  HostFileSource,
  HostFileSink,
  SlicerProgress,
]);
