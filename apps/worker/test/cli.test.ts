import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertNoLeaks,
  listLabelledContainers,
  makeTempDir,
  TEST_IMAGE,
  waitFor,
} from '@girder-worker/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli, startCli } from './helpers.ts';

afterEach(() => assertNoLeaks());

async function exampleSpecDir(): Promise<string> {
  const dir = await makeTempDir();
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'output'));
  await writeFile(
    join(dir, 'data', 'measurements.csv'),
    'station,hour,temperature_c\nst00,00,15.00\nst01,01,27.50\n',
  );
  const example = JSON.parse(
    await readFile(new URL('../../../examples/stream-through-pipe.json', import.meta.url), 'utf8'),
  );
  await writeFile(join(dir, 'spec.json'), JSON.stringify(example));
  return dir;
}

describe('girder-worker', () => {
  it('prints the version of its package.json and lists every command', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${manifest.version}\n`);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'worker', 'submit', 'status', 'cancel'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['nope'])).code).toBe(2);
    expect((await runCli(['status', 'x', '--redis', 'redis://127.0.0.1:1', '--nope'])).code).toBe(2);
  });
});

describe('girder-worker run', () => {
  it('runs the example spec: streams a file through a named pipe and writes a result through a VolumePath', async () => {
    const dir = await exampleSpecDir();
    const result = await runCli(['run', join(dir, 'spec.json')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('rows: 2\nbytes: 55\n');
    expect(result.stdout).toContain('hottest: st01,01,27.50');
    expect(await readFile(join(dir, 'output', 'summary.txt'), 'utf8')).toContain('rows: 2');
    expect(result.stderr).toMatch(/exited with code 0/);
    expect(result.stderr).toContain(`result 0: ${join(dir, 'output', 'summary.txt')}\n`);
    expect(result.stderr).toMatch(/stream Connect\(.*\) moved 55 B/);
  });

  it('reads a spec from stdin and prints one JSON result with --json', async () => {
    const spec = { image: TEST_IMAGE, pullImage: false, containerArgs: ['echo', 'from stdin'] };
    const result = await runCli(['run', '-', '--json'], { input: JSON.stringify(spec) });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed).toMatchObject({ exitCode: 0, results: [] });
    expect(printed.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(printed.durationMs).toBeGreaterThan(0);
    expect(result.stderr).toContain('from stdin');
  });

  it('builds the same kind of spec from flags: --input and --output become named pipes', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, 'in.txt'), 'hello pipes\n');
    const result = await runCli([
      'run',
      '--image',
      TEST_IMAGE,
      '--no-pull',
      '--input',
      `src=${join(dir, 'in.txt')}`,
      '--output',
      `dst=${join(dir, 'out.txt')}`,
      '--env',
      'GREETING=hi',
      '--',
      'sh',
      '-c',
      'tr a-z A-Z < "$0" > "$1"; echo "$GREETING"',
      '{src}',
      '{dst}',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hi\n');
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('HELLO PIPES\n');
  });

  it('shows a live status line only when stdout is a terminal', async () => {
    const args = ['run', '--image', TEST_IMAGE, '--no-pull', '--', 'sh', '-c', 'sleep 1.2; echo out'];
    const piped = await runCli(args);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe('out\n');
    // `script` gives the CLI a pseudo-terminal of 24 rows by 100 columns.
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const tty = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('script', ['-qec', `stty rows 24 cols 100; ${command}`, '/dev/null'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.on('close', (code) => resolve({ code, output }));
    });
    expect(tty.code).toBe(0);
    expect(tty.output).toMatch(/girder-worker: running \d+ s/);
    expect(tty.output).toContain('out');
  });

  it('exits 1 with the stderr tail when the container fails', async () => {
    const result = await runCli([
      'run',
      '--image',
      TEST_IMAGE,
      '--no-pull',
      '--',
      'sh',
      '-c',
      'echo broken >&2; exit 4',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/exited with code 4; stderr ends with:\nbroken/);
  });

  it('exits 2 naming the field of a bad spec, before any container starts', async () => {
    const dir = await makeTempDir();
    const spec = {
      image: TEST_IMAGE,
      containerArgs: [
        'ls',
        {
          $transform: 'VolumePath',
          filename: 'x',
          volume: { $transform: 'BindMountVolume', hostPath: '/tmp', containerPath: '/mnt', mode: 'rx' },
        },
      ],
    };
    await writeFile(join(dir, 'bad.json'), JSON.stringify(spec));
    const result = await runCli(['run', join(dir, 'bad.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('containerArgs[1].volume.mode: expected "rw" | "ro", got "rx"');
    const unknown = await runCli(['run', '-'], {
      input: JSON.stringify({ image: TEST_IMAGE, contanerArgs: [] }),
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('contanerArgs: expected a known field');
    expect((await runCli(['run', '-'], { input: '{not json' })).code).toBe(2);
  });

  it('cancels cleanly on Ctrl-C: exit 130, container stopped and removed, nothing left', async () => {
    // Its own worker id, so that only its container is watched (other tests run containers too).
    const workerId = `${process.env.GW_WORKER_ID ?? 'test'}-ctrl-c`;
    const child = startCli(
      ['run', '--image', TEST_IMAGE, '--no-pull', '--stop-grace-ms', '500', '--', 'sleep', '60'],
      { env: { GW_WORKER_ID: workerId } },
    );
    await waitFor(
      async () => (await listLabelledContainers(workerId)).some((c) => c.State === 'running'),
      'the container to run',
      20_000,
    );
    child.kill('SIGINT');
    const result = await child.result;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('cancelled');
    expect(await listLabelledContainers(workerId)).toEqual([]);
  });
});
