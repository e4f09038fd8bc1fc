const ENVIRONMENT = `Environment (the same variables as the server):
  ENABLE_MODULES                     e.g. backup-filesystem,backup-s3,backup-gcs,backup-azure
  BACKUP_FILESYSTEM_PATH             backup-filesystem: absolute folder
  BACKUP_S3_BUCKET, BACKUP_S3_PATH, BACKUP_S3_ENDPOINT, BACKUP_S3_USE_SSL,
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION          backup-s3
  BACKUP_GCS_BUCKET, BACKUP_GCS_PATH, BACKUP_GCS_USE_AUTH,
  GOOGLE_APPLICATION_CREDENTIALS, GCP_PROJECT, STORAGE_EMULATOR_HOST   backup-gcs
  BACKUP_AZURE_CONTAINER, BACKUP_AZURE_PATH, AZURE_STORAGE_CONNECTION_STRING,
  AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY                       backup-azure`;

const EXIT_CODES = `Exit codes:
  0    done: the backup was copied / is sound
  1    failed (no such backup, not SUCCESS, already at the destination, backend error)
  2    bad arguments or configuration
  3    the backup is damaged: a chunk or descriptor failed verification
  130  interrupted; run the same copy again to resume it`;

export const COPY_USAGE = `Usage: backup copy <id> --from <backend> --to <backend> [options]

Copies a finished (SUCCESS) backup to another backend, bucket or path,
without a database: every chunk streams from source to destination and is
checked against the sha256 and size its descriptor records. Descriptors are
written last, so an interrupted copy never looks like a backup; running the
same command again resumes it, keeping the chunks already copied.

Options:
  --from <backend>       where the backup is: filesystem, s3, gcs, azure (as enabled)
  --from-bucket <name>   bucket or container at the source (default: configured)
  --from-path <path>     root path at the source (filesystem: an absolute folder)
  --to <backend>         where to copy it
  --to-bucket <name>     bucket or container at the destination
  --to-path <path>       root path at the destination
  --concurrency <n>      chunks copied at once (default 4)
  --verify-existing      re-hash chunks an interrupted copy left, instead of trusting their size
  --verify               afterwards, read the copy back and verify it at the destination
  --json                 print the result as JSON on stdout
  -q, --quiet            no progress lines on stderr
  -h, --help             show this help

${EXIT_CODES}

${ENVIRONMENT}
`;

export const VERIFY_USAGE = `Usage: backup verify <id> --backend <backend> [options]

Checks a stored backup in place, without restoring it: every descriptor is
present, readable and SUCCESS, and every chunk is present with the size and
sha256 its descriptor records. Lists every problem found.

Options:
  --backend <backend>    where the backup is: filesystem, s3, gcs, azure (as enabled)
  --bucket <name>        bucket or container (default: configured)
  --path <path>          root path (filesystem: an absolute folder)
  --concurrency <n>      chunks read at once (default 4)
  --json                 print the report as JSON on stdout
  -q, --quiet            no progress lines on stderr
  -h, --help             show this help

${EXIT_CODES}

${ENVIRONMENT}
`;

export const USAGE = `Usage: backup <command> [options]

Commands:
  copy <id>      copy a finished backup to another backend, bucket or path (resumable)
  verify <id>    check a stored backup without restoring it

Run \`backup <command> --help\` for a command's options.

${EXIT_CODES}

${ENVIRONMENT}
`;
