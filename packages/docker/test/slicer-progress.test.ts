import { Connect, ContainerStdOut, pipesKinds, SlicerProgress } from '@girder-worker/pipes';
import { assertNoLeaks, TEST_IMAGE } from '@girder-worker/test-helpers';
import { createRegistry, type Progress, revive, serialize } from '@girder-worker/transforms';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerRun } from '../src/index.ts';

afterEach(() => assertNoLeaks());

// What a Slicer CLI prints on stdout while it works (the execution model's progress tags).
const SCRIPT = [
  "echo 'Loading volume'",
  "printf '<filter-start>\\n<filter-name>Otsu</filter-name>\\n<filter-comment>histogram</filter-comment>\\n</filter-start>\\n'",
  "printf '<filter-progress>0.5</filter-progress>\\n'",
  "echo 'half done'",
  "printf '<filter-progress>1</filter-progress>\\n<filter-end><filter-name>Otsu</filter-name><filter-time>0.1</filter-time></filter-end>\\n'",
  "echo 'wrote mask.nrrd'",
].join('; ');

describe('Slicer progress from a container', () => {
  it('turns the container’s progress tags into run progress and keeps its other output', async () => {
    const progress: Progress[] = [];
    const lines: string[] = [];
    // As it travels in a spec: revived from JSON.
    const connector = revive(
      JSON.parse(JSON.stringify(serialize(new Connect(new ContainerStdOut(), new SlicerProgress())))),
      createRegistry(pipesKinds),
    );
    const result = await dockerRun({
      image: TEST_IMAGE,
      pullImage: false,
      containerArgs: ['sh', '-c', SCRIPT],
      streamConnectors: [connector],
      reporter: { log: (line, source) => lines.push(`${source}:${line}`), progress: (p) => progress.push(p) },
    });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(['stdout:Loading volume', 'stdout:half done', 'stdout:wrote mask.nrrd']);
    expect(progress).toEqual([
      { total: 100, current: 0, message: 'Otsu: histogram' },
      { total: 100, current: 50, message: 'Otsu: histogram' },
      { total: 100, current: 100, message: 'Otsu: histogram' },
      { total: 100, current: 100, message: 'Otsu: histogram done in 0.1 s' },
    ]);
  });
});
