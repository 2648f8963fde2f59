// The example project under gunicorn: database created if missing, migrated, served on a free
// loopback port, stopped again.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { DATABASE_URL, PYTHON, REPO_ROOT, serverEnv } from './config.mjs';

const run = promisify(execFile);
const READY_ATTEMPTS = 600; // 0.1 s apart: a minute for a cold start on a busy machine

const CREATE_DATABASE = `
import os, psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
target = conninfo_to_dict(os.environ["DATABASE_URL"])
name = target["dbname"]
with psycopg.connect(make_conninfo(**{**target, "dbname": "postgres"}), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
`;

const DROP_DATABASE = `
import os, psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
target = conninfo_to_dict(os.environ["DATABASE_URL"])
with psycopg.connect(make_conninfo(**{**target, "dbname": "postgres"}), autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target["dbname"])))
`;

/** The database of DATABASE_URL dropped, once the servers using it have stopped. */
export async function dropDatabase() {
  await run(PYTHON, ['-c', DROP_DATABASE], { env: serverEnv() });
}

/** The database of DATABASE_URL, created if missing, and migrated. */
export async function prepareDatabase() {
  const env = serverEnv();
  await run(PYTHON, ['-c', CREATE_DATABASE], { env });
  await run(PYTHON, ['manage.py', 'migrate', '--no-input', '-v', '0'], { cwd: REPO_ROOT, env });
}

async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
  probe.close();
  await once(probe, 'close');
  return port;
}

/**
 * Starts gunicorn; resolves once it answers HTTP. `env` is added to the example project's
 * environment (e.g. `{ REDIS_URL: '' }` for a per-process cache).
 */
export async function startServer({ name, workers = 2, env = {} }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output = [];
  const child = spawn(PYTHON, [
    '-m', 'gunicorn', 'example_project.wsgi:application', '--bind', `127.0.0.1:${port}`,
    '--workers', String(workers), '--timeout', '60', '--graceful-timeout', '5',
  ], { cwd: REPO_ROOT, env: serverEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => output.push(chunk.toString());
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  const server = {
    name, url, child, output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    },
  };
  for (let attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/wx/profile/`);
      await response.arrayBuffer();
      if (response.status === 401) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await server.stop();
  throw new Error(`The ${name} server did not start:\n${output.join('')}`);
}
