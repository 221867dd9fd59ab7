import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, probeTcp, waitFor } from './free-port.ts';

const run = promisify(execFile);

/** A private RabbitMQ node started by {@link startRabbitMqServer}. */
export interface RabbitMqServerHandle {
  /** `amqp://guest:guest@127.0.0.1:<port>//` (Celery's spelling of the default vhost). */
  url: string;
  /** The AMQP port on 127.0.0.1. */
  port: number;
  /** The Erlang node name (`gw-<random>@localhost`). */
  nodeName: string;
  /** Stops the node (`rabbitmqctl stop`), ends its private epmd and removes its files. Idempotent. */
  stop(): Promise<void>;
}

/** Looks up a system user's uid and gid (`id -u`, `id -g`). */
async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  const gid = Number((await run('id', ['-g', name])).stdout.trim());
  return { uid, gid };
}

/**
 * Starts a private RabbitMQ node (Debian's `rabbitmq-server`) bound to 127.0.0.1 only: AMQP and
 * Erlang distribution on free loopback ports, its own epmd on a free loopback port, its own
 * mnesia and log directories. Waits for `rabbitmq-diagnostics ping` and then for the AMQP port to
 * answer the protocol header. As root the node runs as the `rabbitmq` user (Debian's wrapper);
 * otherwise as the current user.
 */
export async function startRabbitMqServer(): Promise<RabbitMqServerHandle> {
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const nodeName = `gw-${randomBytes(4).toString('hex')}@localhost`;
  // Not under the test TMPDIR: that one is private (0700) and the node runs as another user.
  const base = mkdtempSync(join(process.env.GW_RABBITMQ_BASE ?? '/tmp', 'gw-rabbitmq-'));
  chmodSync(base, 0o755);
  mkdirSync(join(base, 'mnesia'));
  mkdirSync(join(base, 'log'));
  const config = join(base, 'rabbitmq.conf');
  writeFileSync(config, `listeners.tcp.1 = 127.0.0.1:${port}\nloopback_users = none\n`, {
    mode: 0o644,
  });
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { uid, gid } = await systemUser('rabbitmq');
    for (const dir of [base, join(base, 'mnesia'), join(base, 'log')]) chownSync(dir, uid, gid);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_CONFIG_FILE: config,
    RABBITMQ_PID_FILE: join(base, 'mnesia', 'node.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    ...(asRoot ? {} : { HOME: base }),
  };
  const bin = (tool: string): string => (asRoot ? `/usr/sbin/${tool}` : `/usr/lib/rabbitmq/bin/${tool}`);
  const child = spawn(bin('rabbitmq-server'), [], { env, stdio: 'ignore', detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await run(bin('rabbitmqctl'), ['stop'], { env, timeout: 60_000 }).catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise((r) => {
        timer = setTimeout(r, 15_000, 'timeout');
      });
      const outcome = await Promise.race([exited, grace]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        // su starts its own session, so the Erlang VM is killed by the pid it wrote.
        const pid = Number(readFileSync(join(base, 'mnesia', 'node.pid'), 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGKILL');
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        await exited;
      }
      await run('epmd', ['-port', String(epmdPort), '-kill'], { env }).catch(() => {});
      rmSync(base, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    await waitFor(
      async () =>
        (await run(bin('rabbitmq-diagnostics'), ['-q', 'ping'], { env, timeout: 20_000 }).then(
          () => true,
          () => false,
        )) || child.exitCode !== null,
      `rabbitmq node ${nodeName}`,
      90_000,
    );
    if (child.exitCode !== null) throw new Error(`rabbitmq-server exited with ${child.exitCode}`);
    // The protocol header is answered with Connection.Start (a method frame, type 1).
    await waitFor(
      async () => (await probeTcp(port, Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')))?.[0] === 1,
      `AMQP on 127.0.0.1:${port}`,
      60_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `amqp://guest:guest@127.0.0.1:${port}//`, port, nodeName, stop };
}
