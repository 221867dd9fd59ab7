// One transfer through a FIFO with a local peer process, for `strace -c -f` (see syscalls.sh):
//   node bench/one-transfer.ts in  <file> <fifo>   HostFileSource → Connect → FIFO (peer reads it)
//   node bench/one-transfer.ts out <fifo> <file>   FIFO (peer writes it) → Connect → HostFileSink
import { basename, dirname } from 'node:path';
import { Connect } from '../src/connect.ts';
import { HostFileSink, HostFileSource } from '../src/host-file.ts';
import { NamedInputPipe, NamedOutputPipe } from '../src/named-pipe.ts';
import { benchContext } from './container.ts';

const [mode, from, to] = process.argv.slice(2) as [string, string, string];
const fifo = mode === 'in' ? to : from;
const at = { hostPath: dirname(fifo), containerPath: '/unused' };
const connect =
  mode === 'in'
    ? new Connect(new HostFileSource(from), new NamedInputPipe(basename(fifo), at))
    : new Connect(new NamedOutputPipe(basename(fifo), at), new HostFileSink(to));
const ctx = await benchContext(dirname(fifo));
const connector = await connect.connector(ctx, {});
const started = performance.now();
const { bytesMoved } = await connector.start();
console.error(`moved ${bytesMoved} bytes in ${(performance.now() - started).toFixed(0)} ms`);
