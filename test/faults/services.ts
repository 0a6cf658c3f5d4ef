/**
 * Private PostgreSQL and RabbitMQ servers for the fault tests: each test file starts its own on free
 * loopback ports in a temporary folder, breaks them as it likes, and removes them at the end. The machine's
 * own servers (5432, 5672) are never stopped, restarted or reconfigured.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL and RabbitMQ refuse to run as root: as root, their commands run as their own users. */
const asRoot = userInfo().uid === 0;

async function runAs(user: string, command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const full = asRoot ? ['runuser', ['-u', user, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), command, ...args]] as const : [command, args] as const;
  const { stdout } = await run(full[0], [...full[1]], { env: { ...process.env, ...env }, timeout: 120_000 });
  return stdout;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  /** A fast shutdown (in-flight sessions are ended) and a start on the same port; resolves when it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`no PostgreSQL server binaries under ${root}`);
  return join(root, version, 'bin');
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'uah-faults-pg-'));
  if (asRoot) chownSync(dir, ...(await ids('postgres')));
  const data = join(dir, 'data');
  const port = await freePort();
  await runAs('postgres', join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // fsync off: the tests stop the server cleanly or kill clients, never the machine; it spares a shared disk.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const pgCtl = (...args: string[]): Promise<string> => runAs('postgres', join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', ...args]);
  await pgCtl('-o', options, 'start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart() {
      await pgCtl('-m', 'fast', '-o', options, 'restart');
    },
    async stop() {
      await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ids(user: string): Promise<[number, number]> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return [Number(uid.stdout.trim()), Number(gid.stdout.trim())];
}

export interface PrivateRabbit {
  url: string;
  node: string;
  /** Stops the broker application (every connection drops, the port closes); the node stays up to start it again. */
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A RabbitMQ node of its own (name, ports, data and log folders, no plugins, so no management or Prometheus
 * port to clash with). Its config file replaces the machine's, which names 5672. Starting takes 4–8 s here.
 */
export async function startPrivateRabbit(): Promise<PrivateRabbit> {
  const dir = mkdtempSync(join(tmpdir(), 'uah-faults-mq-'));
  const node = `faults-${Math.random().toString(36).slice(2, 10)}@localhost`;
  writeFileSync(join(dir, 'rabbitmq.conf'), 'loopback_users = none\n');
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  if (asRoot) {
    const [uid, gid] = await ids('rabbitmq');
    for (const file of ['', 'rabbitmq.conf', 'enabled_plugins']) chownSync(join(dir, file), uid, gid);
  }
  const ctl = (...args: string[]): Promise<string> => run('rabbitmqctl', ['-n', node, ...args], { timeout: 120_000 }).then((r) => r.stdout);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const [port, distPort] = [await freePort(), await freePort()];
    const env = {
      RABBITMQ_NODENAME: node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'pid'),
    };
    try {
      await run('rabbitmq-server', ['-detached'], { env: { ...process.env, ...env }, timeout: 60_000 });
      await ctl('wait', join(dir, 'pid'), '--timeout', '90');
      await ctl('await_startup', '--timeout', '90');
      return {
        url: `amqp://guest:guest@127.0.0.1:${port}`,
        node,
        stopBroker: async () => void (await ctl('stop_app')),
        startBroker: async () => void (await ctl('start_app')),
        async stop() {
          await ctl('stop').catch(() => undefined);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      // A port taken between the check and the start (the range is shared): stop the node and try others.
      lastError = error;
      await ctl('stop').catch(() => undefined);
      rmSync(join(dir, 'mnesia'), { recursive: true, force: true });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`a private RabbitMQ node did not start: ${String(lastError)}`);
}
