export { ChunkedTransferEncodingStream } from './chunked-transfer-encoding-stream.ts';
export {
  type ChunkedUploadOptions,
  ChunkedUploadStream,
  openChunkedUpload,
} from './chunked-upload.ts';
export { Connect, type ConnectorOptions, type ConnectorProvider, hasConnector } from './connect.ts';
export {
  type ByteSource,
  type ConnectorResult,
  createStreamConnector,
  type EndpointOptions,
  StreamConnector,
  type StreamConnectorOptions,
  type StreamSink,
  type StreamSource,
} from './connector.ts';
export {
  ConnectorError,
  type ConnectorSide,
  type FifoEnd,
  FifoPeerClosedError,
  FifoPeerMissingError,
  FifoReplacedError,
  HttpStreamError,
  isConnectorError,
  isFifoPeerClosedError,
  isFifoPeerMissingError,
  isFifoReplacedError,
  isHttpStreamError,
  isMkfifoError,
  isPipeError,
  MkfifoError,
  PipeError,
  type PipeErrorOptions,
} from './errors.ts';
export type { FifoIdentity } from './fifo-fd.ts';
export { type FifoReaderOptions, FifoReadStream, openFifoReader } from './fifo-reader.ts';
export { type FifoWriterOptions, FifoWriteStream, openFifoWriter } from './fifo-writer.ts';
export { type FileChunksOptions, readFileChunks } from './file-chunks.ts';
export { HostFileSink, HostFileSource } from './host-file.ts';
export { pipesKinds } from './kinds.ts';
export { isLentChunks, LentChunks, releasesChunks } from './lent-chunks.ts';
export { type MkfifoOptions, mkfifo } from './mkfifo.ts';
export { NamedInputPipe, NamedOutputPipe, NamedPipeBase, type NamedPipeOptions } from './named-pipe.ts';
export { ProgressPipe, type ProgressPipeOptions } from './progress-pipe.ts';
export { createProgressSink, type ProgressSinkOptions, parseProgressLine } from './progress-sink.ts';
export {
  type SlicerEvent,
  SlicerProgress,
  SlicerProgressParser,
  SlicerProgressTracker,
} from './slicer-progress.ts';
export {
  ContainerStdErr,
  ContainerStdOut,
  type ContainerStreamName,
  HostStdErr,
  HostStdOut,
  isContainerStream,
} from './std-streams.ts';
