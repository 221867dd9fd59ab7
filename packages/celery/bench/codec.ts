// Benchmark: decoding and mapping captured girder_worker messages, against JSON.parse of the same
// bytes in the same run (the floor any consumer pays).
//   node packages/celery/bench/codec.ts          (needs the sibling packages built)
//   BENCH_ROUNDS=20000 node packages/celery/bench/codec.ts
// "parse" is JSON.parse of the body and hooks; "decode" adds jsonpickle resolution (order-keeping
// parser, py/id); "map" adds the class and keyword tables (our transforms, Girder clients).
import { readFileSync } from 'node:fs';
import { GirderClient } from '@girder-worker/girder-client';
import { decodeJsonPickle, decodeJsonPickleText } from '../src/jsonpickle/decode.ts';
import { mapDockerRun } from '../src/mapping/map-docker-run.ts';
import { parseCeleryTask } from '../src/protocol/parse-message.ts';
import type { RawCeleryMessage } from '../src/task.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5000);
const dir = new URL('../test/fixtures/celery/', import.meta.url);

function load(name: string): RawCeleryMessage {
  const e = JSON.parse(readFileSync(new URL(`${name}.redis.json`, dir), 'utf8'));
  return {
    headers: e.headers,
    properties: { correlationId: e.properties.correlation_id },
    contentType: e['content-type'],
    contentEncoding: e['content-encoding'],
    body: Buffer.from(e.body, 'base64'),
  };
}

const messages = ['01-plain', '04-tempvolume-upload-to-item', '06-girder-to-volume'].map(load);
const hooksOf = (m: RawCeleryMessage): unknown[] => (m.headers.girder_result_hooks ?? []) as unknown[];
const steps: Record<string, (m: RawCeleryMessage) => unknown> = {
  parse: (m) => [JSON.parse(m.body.toString('utf8')), hooksOf(m).map((h) => JSON.parse(JSON.stringify(h)))],
  decode: (m) => [decodeJsonPickleText(m.body.toString('utf8')), hooksOf(m).map((h) => decodeJsonPickle(h))],
  map: (m) => {
    const t = parseCeleryTask(m);
    return mapDockerRun(
      { args: t.args, kwargs: t.kwargs, hooks: t.girderResultHooks },
      { girderClient: (s) => new GirderClient({ apiUrl: s.apiUrl }) },
    );
  },
};

function time(step: (m: RawCeleryMessage) => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const m of messages) step(m);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

for (const step of Object.values(steps)) time(step); // warm up
const ms = Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, time(step)]));
const perMessageUs = (name: string): string =>
  (((ms[name] as number) * 1000) / (rounds * messages.length)).toFixed(1);
for (const name of Object.keys(steps)) {
  console.log(
    `${name.padEnd(7)} ${perMessageUs(name).padStart(7)} µs/message  ${((ms[name] as number) / (ms.parse as number)).toFixed(1)}× JSON.parse`,
  );
}
