"""The seed's Python client v3 backup samples, one per step.

    python backup.py create|status|restore|restore-status

The server comes from WEAVIATE_URL (the seed's http://localhost:8080), the
backend from BACKUP_BACKEND (default filesystem), the id from BACKUP_ID
(default the seed's). Prints {"result": ...} as one JSON line. The v3 client
has no cancel (the seed shows cancel for v4 and TS v3 only).
"""
import json
import os
import sys

import weaviate

backup_id = os.environ.get("BACKUP_ID", "my-very-first-backup")
backend = os.environ.get("BACKUP_BACKEND", "filesystem")

step = sys.argv[1]
client = weaviate.Client(os.environ.get("WEAVIATE_URL", "http://localhost:8080"))

if step == "create":
    result = client.backup.create(
        backup_id=backup_id,
        backend=backend,
        include_classes=["Article", "Publication"],
        wait_for_completion=True,
    )
elif step == "status":
    result = client.backup.get_create_status(
        backup_id=backup_id,
        backend=backend,
    )
elif step == "restore":
    result = client.backup.restore(
        backup_id=backup_id,
        backend=backend,
        exclude_classes="Article",
        wait_for_completion=True,
    )
elif step == "restore-status":
    result = client.backup.get_restore_status(
        backup_id=backup_id,
        backend=backend,
    )
else:
    sys.exit(f"unknown step {step!r}: create, status, restore or restore-status")
print(json.dumps({"result": result}), flush=True)
