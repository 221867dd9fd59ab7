/** What dockerRun reports while it works (`onEvent`). */
export type DockerRunEvent =
  | { type: 'pull'; status: string; layer?: string; current?: number; total?: number }
  | { type: 'created'; containerId: string }
  | { type: 'started'; containerId: string }
  | { type: 'exited'; containerId: string; exitCode: number }
  | { type: 'stream'; name: string; bytes: number }
  | { type: 'cancelled'; containerId?: string; reason: string };
