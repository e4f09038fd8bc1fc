// Starts a real OpenSSH sshd on a free local port for the run, with a fresh
// host key and client key, and hands the connection to the tests through
// `inject('sftp')`. Without sshd or ssh-keygen the run fails naming them.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@backup/test-emulators/free-ports';
import type { TestProject } from 'vitest/node';

export interface SftpTestConnection {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly privateKey: string;
  /** A directory this run owns on the server. */
  readonly root: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sftp: SftpTestConnection;
  }
}

const SSHD = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((path) => existsSync(path));

async function listening(port: number): Promise<boolean> {
  return await new Promise((resolve) =>
    connect(port, '127.0.0.1')
      .once('connect', function (this: import('node:net').Socket) {
        this.destroy();
        resolve(true);
      })
      .once('error', () => resolve(false)),
  );
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (SSHD === undefined)
    throw new Error('provider-sftp tests need OpenSSH sshd (apt-get install -y openssh-server); scripts/emulators/install.sh installs it');
  const dir = await mkdtemp('/dev/shm/emulator-sshd-');
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  } catch (error) {
    throw new Error(`provider-sftp tests need ssh-keygen (apt-get install -y openssh-client): ${String(error)}`);
  }
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')));
  await mkdir('/run/sshd', { recursive: true }).catch(() => {}); // privilege separation directory
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'MaxSessions 100',
    'MaxStartups 100',
    'Subsystem sftp internal-sftp',
  ];
  await writeFile(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  const sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  for (let attempt = 0; !(await listening(port)); attempt++) {
    if (attempt > 100 || sshd.exitCode !== null) {
      sshd.kill();
      throw new Error(`sshd did not start on port ${port}: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const root = join(dir, 'data');
  await mkdir(root);
  project.provide('sftp', { host: '127.0.0.1', port, username: userInfo().username, privateKey: await readFile(join(dir, 'client_key'), 'utf8'), root });
  return async () => {
    sshd.kill();
    await rm(dir, { recursive: true, force: true });
  };
}
