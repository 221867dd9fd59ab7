import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** Internal: one stored file in a zip. */
export interface ZipEntry {
  /** The path inside the archive (forward slashes). */
  name: string;
  /** Where the bytes are on disk. */
  path: string;
  size: number;
  crc32: number;
}

const MAX32 = 0xffffffff;

/**
 * Internal: a store-only (no compression) zip of files whose sizes and CRC-32 are known in
 * advance, streamed from disk one entry at a time (never held in memory). Names are UTF-8
 * (general purpose bit 11). ZIP64 is not written: entries and archive must stay under 4 GiB.
 *
 * @param entries - The files, in archive order.
 * @returns The archive as a byte stream.
 */
export function zipStream(entries: Iterable<ZipEntry>): Readable {
  return Readable.from(generate(entries), { objectMode: false });
}

async function* generate(entries: Iterable<ZipEntry>): AsyncGenerator<Buffer> {
  const central: Buffer[] = [];
  let offset = 0;
  const { time, date } = dosDateTime(new Date());
  let count = 0;
  for (const entry of entries) {
    if (entry.size > MAX32 || offset > MAX32) {
      throw new Error(`zip entry ${entry.name} does not fit a zip without ZIP64 (over 4 GiB)`);
    }
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(entry.crc32 >>> 0, 14);
    local.writeUInt32LE(entry.size, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    yield Buffer.concat([local, name]);
    if (entry.size > 0) {
      for await (const chunk of createReadStream(entry.path)) yield chunk as Buffer;
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4); // version made by
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(date, 14);
    header.writeUInt32LE(entry.crc32 >>> 0, 16);
    header.writeUInt32LE(entry.size, 20);
    header.writeUInt32LE(entry.size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += 30 + name.length + entry.size;
    count++;
  }
  const directory = Buffer.concat(central);
  if (offset > MAX32 || count > 0xffff) throw new Error('zip archive does not fit a zip without ZIP64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  yield Buffer.concat([directory, end]);
}

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}
