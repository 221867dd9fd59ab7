export { type ChunkedUploadOptions, ChunkedUploadStream, displayUrl, openChunkedUpload } from './chunked-upload.ts';
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
  HttpStreamError,
  isConnectorError,
  isFifoPeerClosedError,
  isFifoPeerMissingError,
  isHttpStreamError,
  isMkfifoError,
  isPipeError,
  MkfifoError,
  PipeError,
  type PipeErrorOptions,
} from './errors.ts';
export { FifoReadStream, type FifoReaderOptions, openFifoReader } from './fifo-reader.ts';
export { FifoWriteStream, type FifoWriterOptions, openFifoWriter } from './fifo-writer.ts';
export { mkfifo, type MkfifoOptions } from './mkfifo.ts';
export { createProgressSink, parseProgressLine, type ProgressSinkOptions } from './progress-sink.ts';
