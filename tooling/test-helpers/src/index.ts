export {
  LOCAL_IMAGE,
  listLabelledContainers,
  removeLabelledContainers,
  TEST_IMAGE,
  testDocker,
} from './docker.ts';
export { hashFile, hashStream, makeTempDir, sha256Hex, writeRandomFile } from './files.ts';
export { freePort, probeTcp, waitFor } from './free-port.ts';
export { assertNoLeaks, countOpenFds, type LeakCheckOptions, listFifos } from './leaks.ts';
export { type RabbitMqServerHandle, startRabbitMqServer } from './rabbitmq-server.ts';
export { REDACT_URL_CASES } from './redact-url-cases.ts';
export { type RedisServerHandle, type RedisServerOptions, startRedisServer } from './redis-server.ts';
export { buildLargeImage, pushToRegistry, startTestRegistry, type TestRegistry } from './registry.ts';
export { runShell } from './shell.ts';
export { assertUnchanged, diffSnapshot, type FileSnapshot, snapshotFiles } from './snapshot.ts';
export { median, peakRssMiB, range } from './stats.ts';
