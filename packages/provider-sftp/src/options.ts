import { readFileSync } from 'node:fs';
import { BackupError, ErrorCode } from '@backup/core/provider';

export interface SftpProviderOptions {
  readonly host: string;
  /** Default 22. */
  readonly port?: number | undefined;
  readonly username: string;
  /** An OpenSSH or PEM private key (its contents, not its path). */
  readonly privateKey?: string | Buffer | undefined;
  readonly password?: string | undefined;
  /** Absolute directory on the server that holds the backups. */
  readonly path: string;
  /** Entries per listing the manifest declares (the walk reads whole directories). Default 1000. */
  readonly listPageSize?: number | undefined;
}

/**
 * `BACKUP_SFTP_HOST`, `BACKUP_SFTP_PORT`, `BACKUP_SFTP_USERNAME`, `BACKUP_SFTP_PATH`
 * and `BACKUP_SFTP_PRIVATE_KEY_FILE` or `BACKUP_SFTP_PASSWORD`.
 */
export function sftpOptionsFromEnv(env: NodeJS.ProcessEnv): SftpProviderOptions {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new BackupError(ErrorCode.CONFIG, `sftp: ${name} is required`);
    return value;
  };
  const keyFile = env.BACKUP_SFTP_PRIVATE_KEY_FILE;
  const port = env.BACKUP_SFTP_PORT === undefined || env.BACKUP_SFTP_PORT === '' ? 22 : Number(env.BACKUP_SFTP_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new BackupError(ErrorCode.CONFIG, `sftp: BACKUP_SFTP_PORT must be a port, got ${env.BACKUP_SFTP_PORT}`);
  return {
    host: required('BACKUP_SFTP_HOST'),
    port,
    username: required('BACKUP_SFTP_USERNAME'),
    path: required('BACKUP_SFTP_PATH'),
    privateKey: keyFile ? readFileSync(keyFile) : undefined,
    password: env.BACKUP_SFTP_PASSWORD,
  };
}
