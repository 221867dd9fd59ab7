import { readFile } from 'node:fs/promises';
import { makeTempDir } from '@girder-worker/test-helpers';
import { describe, expect, it } from 'vitest';
import * as pkg from '../src/index.ts';

describe('README', () => {
  it('mentions every export, and the example uses only real exports', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = readme.match(/```ts\n([\s\S]*?)```/)?.[1] ?? '';
    const imported =
      example
        .match(/import \{([^}]*)\}/)?.[1]
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean) ?? [];
    expect(imported.length).toBeGreaterThan(5);
    for (const name of imported) expect(pkg).toHaveProperty(name);
  });

  it('runs the example against the real filesystem', async () => {
    const {
      BindMountVolume,
      TemporaryVolume,
      VolumePath,
      createRegistry,
      createTransformContext,
      revive,
      serialize,
      transformArguments,
      collectVolumes,
      withPhase,
    } = pkg;
    // The README's mkdtemp folder, as a fixture folder removed after the test.
    const host = await makeTempDir();
    const data = new BindMountVolume(host, '/mnt/data', 'ro');
    const out = new VolumePath('result.txt');
    const spec = { volumes: [data], containerArgs: ['--in', new VolumePath('a.csv', data), '--out', out] };
    const revived = revive(JSON.parse(JSON.stringify(serialize(spec))), createRegistry()) as typeof spec;
    const runVolume = new TemporaryVolume();
    await runVolume.create();
    const ctx = createTransformContext({ temporaryVolume: runVolume });
    const args = await transformArguments(revived.containerArgs, ctx, 'containerArgs');
    expect(args.values).toEqual([
      '--in',
      '/mnt/data/a.csv',
      '--out',
      `${runVolume.containerPath}/result.txt`,
    ]);
    expect(
      collectVolumes({
        volumes: revived.volumes,
        discoverIn: revived.containerArgs,
        temporaryVolume: runVolume,
      }).binds,
    ).toEqual([runVolume.bind(), `${host}:/mnt/data:ro`]);
    expect(
      await (revived.containerArgs[3] as InstanceType<typeof VolumePath>).transform(withPhase(ctx, 'result')),
    ).toBe(`${runVolume.hostPath}/result.txt`);
    await args.cleanup();
    await runVolume.remove();
  });
});
