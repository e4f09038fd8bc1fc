"""The seed's Python client v4 backup samples, one per step.

    python backup.py create|status|cancel|restore|restore-status

The server comes from WEAVIATE_HOST / WEAVIATE_PORT / WEAVIATE_GRPC_PORT (the
seed's connect_to_local() defaults: localhost, 8080, 50051), the backend from
BACKUP_BACKEND (default filesystem), the id from BACKUP_ID (default the
seed's). Prints {"result": ...} as one JSON line. `cancel` first prints
{"ready": true} and waits for a line on stdin, so a test can cancel a running
backup without racing the interpreter's start-up.
"""
import json
import os
import sys

import weaviate

backup_id = os.environ.get("BACKUP_ID", "my-very-first-backup")
backend = os.environ.get("BACKUP_BACKEND", "filesystem")


def to_json(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


step = sys.argv[1]
client = weaviate.connect_to_local(
    host=os.environ.get("WEAVIATE_HOST", "localhost"),
    port=int(os.environ.get("WEAVIATE_PORT", "8080")),
    grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
)
try:
    if step == "create":
        result = client.backup.create(
            backup_id=backup_id,
            backend=backend,
            include_collections=["Article", "Publication"],
            wait_for_completion=True,
        )
    elif step == "status":
        result = client.backup.get_create_status(
            backup_id=backup_id,
            backend=backend,
        )
    elif step == "cancel":
        print(json.dumps({"ready": True}), flush=True)
        sys.stdin.readline()
        result = client.backup.cancel(
            backup_id=backup_id,
            backend=backend,
        )
    elif step == "restore":
        result = client.backup.restore(
            backup_id=backup_id,
            backend=backend,
            exclude_collections="Article",
            wait_for_completion=True,
        )
    elif step == "restore-status":
        result = client.backup.get_restore_status(
            backup_id=backup_id,
            backend=backend,
        )
    else:
        sys.exit(f"unknown step {step!r}: create, status, cancel, restore or restore-status")
    print(json.dumps({"result": to_json(result)}), flush=True)
finally:
    client.close()
