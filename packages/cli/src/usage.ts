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
  0    done: SUCCESS (or, without --wait, accepted / still running); the backup was copied / is sound
  1    failed: the operation ended FAILED, or the server refused it (e.g. 422: already exists)
  2    bad arguments or configuration (or the server answered 400)
  3    the backup is damaged: a chunk or descriptor failed verification
  4    not found: no such backup or restore (404)
  5    unauthorized: the API key was refused (401/403)
  6    the server could not be reached
  7    the operation ended CANCELED
  130  interrupted: a local copy resumes when run again; a server-side operation goes on`;

const SERVER = `Server (create, status, list, restore, restore-status, cancel; copy and verify with --url):
  --url <url>            the node, e.g. http://localhost:8080 (env BACKUP_URL; default http://localhost:8080)
  --api-key <key>        sent as a Bearer token (env BACKUP_API_KEY)
  --backend <backend>    filesystem, s3, gcs or azure (env BACKUP_BACKEND)
  --bucket <name>        bucket or container override
  --path <path>          root path override
  --json                 machine-readable: one JSON line per answer or status poll on stdout
  --interval <ms>        between status polls while waiting (default 500)
  -q, --quiet            no progress on stderr
  -h, --help             show this help

While waiting, stderr shows a progress bar (bytes done / total, rate, ETA)
redrawn in place on a terminal, or a plain line a second otherwise.`;

const serverUsage = (synopsis: string, what: string, options = ''): string => `Usage: ${synopsis}

${what}
${
  options === ''
    ? ''
    : `
Options:
${options}
`
}
${SERVER}

${EXIT_CODES}
`;

export const CREATE_USAGE = serverUsage(
  'backup create <id> --backend <backend> [options]',
  'Starts a backup on the server. With --wait, follows it to its end and exits by its final status.',
  `  --include <A,B>        classes to back up (default all); --exclude <A,B> the opposite
  --chunk-size <MB>      chunk size (2-512, default 128)
  --compression <level>  DefaultCompression, BestSpeed, BestCompression, ZstdDefaultCompression, ...
  --cpu-percentage <n>   share of the node's cores (1-80, default 50)
  --incremental-base <id>
                         incremental: reuse what backup <id> (SUCCESS, same backend and location)
                         already holds; the new backup still restores on its own
  --wait                 wait for the end, with progress`,
);

export const STATUS_USAGE = serverUsage(
  'backup status <id> --backend <backend> [--wait]',
  "Shows a backup's status and progress (bytes done and total). Exits by the status: 0 SUCCESS or running, 1 FAILED, 7 CANCELED.",
  '  --wait                 wait for the end, with progress',
);

export const RESTORE_STATUS_USAGE = serverUsage(
  'backup restore-status <id> --backend <backend> [--wait]',
  "Shows the status and progress of a backup's restore. Exits by the status, as status does.",
  '  --wait                 wait for the end, with progress',
);

export const LIST_USAGE = serverUsage(
  'backup list --backend <backend> [--order asc|desc]',
  'Lists the backups on a backend: id, status, size, start time and classes, one per line (tab-separated).',
  '  --order asc|desc       by start time (default desc)',
);

export const RESTORE_USAGE = serverUsage(
  'backup restore <id> --backend <backend> [options]',
  'Starts restoring a backup on the server. With --wait, follows it to its end and exits by its final status.',
  `  --include <A,B>        classes to restore (default all); --exclude <A,B> the opposite
  --node-mapping <a=b,..> backup node names to this cluster's
  --cpu-percentage <n>   share of the node's cores (1-80, default 50)
  --wait                 wait for the end, with progress`,
);

export const CANCEL_USAGE = serverUsage(
  'backup cancel <id> --backend <backend> [--restore]',
  'Cancels a running backup (or, with --restore, its running restore). 1 if it already succeeded, 4 if unknown.',
  '  --restore              cancel the restore of the backup instead',
);

export const DELETE_USAGE = serverUsage(
  'backup delete <id> --backend <backend>',
  'Deletes a finished backup (SUCCESS, FAILED or CANCELED) from storage. Objects that incremental backups reuse stay until those are deleted too. 4 if unknown, 1 if it is running (cancel it first).',
  '',
);

export const PRUNE_USAGE = serverUsage(
  'backup prune --backend <backend> (--keep-last <n> | --newer-than <duration>) [--dry-run]',
  'Retention: keeps the newest n SUCCESS backups and/or those started within the duration (7d, 12h, 30m), deletes the others (never a running one). Exits 1 if a deletion failed.',
  `  --keep-last <n>        keep the newest n successful backups
  --newer-than <d>       keep backups started within d (e.g. 7d, 12h)
  --dry-run              print what would be deleted, delete nothing`,
);

export const COPY_USAGE = `Usage: backup copy <id> --from <backend> --to <backend> [options]
       backup copy <id> --url <server> --from <backend> --to <backend> [options]

Copies a finished (SUCCESS) backup to another backend, bucket or path,
without a database: every chunk streams from source to destination and is
checked against the sha256 and size its descriptor records. Descriptors are
written last, so an interrupted copy never looks like a backup; running the
same command again resumes it, keeping the chunks already copied.
With --url (or BACKUP_URL) the server does the copy and this command follows
it with a progress bar until it ends.

Options:
  --from <backend>       where the backup is: filesystem, s3, gcs, azure (as enabled)
  --from-bucket <name>   bucket or container at the source (default: configured)
  --from-path <path>     root path at the source (filesystem: an absolute folder)
  --to <backend>         where to copy it
  --to-bucket <name>     bucket or container at the destination
  --to-path <path>       root path at the destination
  --concurrency <n>      chunks copied at once (default 4)
  --verify-existing      re-hash chunks an interrupted copy left, instead of trusting their size
  --server-side          between two buckets or paths of one backend (s3, gcs, azure, filesystem), let the
                         backend copy each chunk itself: nothing streams through here, but chunks are
                         checked by size only (add --verify to re-hash the copy)
  --verify               afterwards, read the copy back and verify it at the destination
  --json                 print the result as JSON on stdout
  -q, --quiet            no progress lines on stderr
  -h, --help             show this help

${EXIT_CODES}

${ENVIRONMENT}
`;

export const VERIFY_USAGE = `Usage: backup verify <id> --backend <backend> [options]
       backup verify <id> --url <server> --backend <backend> [options]

Checks a stored backup in place, without restoring it: every descriptor is
present, readable and SUCCESS, and every chunk is present with the size and
sha256 its descriptor records. Lists every problem found. With --url (or
BACKUP_URL) the server verifies and this command follows it.

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

Commands (on a running server, over its REST API):
  create <id>          start a backup (--wait to follow it)
  status <id>          a backup's status and progress
  list                 the backups on a backend
  restore <id>         start a restore (--wait to follow it)
  restore-status <id>  a restore's status and progress
  cancel <id>          cancel a running backup (--restore: its restore)
  delete <id>          delete a finished backup (keeps what incremental backups reuse)
  prune                retention: --keep-last <n> / --newer-than <7d>, --dry-run

Commands (on the storage directly, or on the server with --url):
  copy <id>            copy a finished backup to another backend, bucket or path (resumable)
  verify <id>          check a stored backup without restoring it

Run \`backup <command> --help\` for a command's options.

${SERVER}

${EXIT_CODES}

${ENVIRONMENT}
`;
