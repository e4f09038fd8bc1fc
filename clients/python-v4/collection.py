"""Python client v4's everyday work around a backup, on one collection.

    python collection.py write < objects.json   # create, insert_many, then read
    python collection.py read                   # read only (e.g. after a restore)

`write` creates COLLECTION (default Article: `title` text, `n` int, a
self-provided `default` vector, BM25 b 0.7 and k1 1.3, not the defaults) and inserts the objects read from stdin as
JSON, `[{"properties": {...}, "vector": [...]}, ...]`, with insert_many (gRPC),
failing on any error. Both steps then read the collection back through the
client (fetch_objects, fetch_object_by_id with vectors, aggregate.over_all,
len, config.get) and print {"result": ...} as one JSON line. The server comes
from WEAVIATE_HOST / WEAVIATE_PORT / WEAVIATE_GRPC_PORT, as in backup.py.
"""
import json
import os
import sys

import weaviate
import weaviate.classes as wvc

name = os.environ.get("COLLECTION", "Article")


def plain(value):
    return getattr(value, "value", value)


def read(collection):
    fetched = collection.query.fetch_objects(limit=1000)
    by_id = {}
    for uuid in sorted(str(o.uuid) for o in fetched.objects):
        one = collection.query.fetch_object_by_id(uuid, include_vector=True)
        by_id[uuid] = {"properties": one.properties, "vector": one.vector}
    config = collection.config.get()
    return {
        "fetched": {str(o.uuid): o.properties for o in fetched.objects},
        "by_id": by_id,
        "total_count": collection.aggregate.over_all(total_count=True).total_count,
        "len": len(collection),
        "config": {
            "name": config.name,
            "properties": {p.name: plain(p.data_type) for p in config.properties},
            "bm25": {"b": config.inverted_index_config.bm25.b, "k1": config.inverted_index_config.bm25.k1},
            "vectors": {
                v: {"vectorizer": plain(c.vectorizer.vectorizer), "index": plain(c.vector_index_config.vector_index_type())}
                for v, c in (config.vector_config or {}).items()
            },
            "replication_factor": config.replication_config.factor,
            "multi_tenancy": config.multi_tenancy_config.enabled,
        },
    }


step = sys.argv[1]
client = weaviate.connect_to_local(
    host=os.environ.get("WEAVIATE_HOST", "localhost"),
    port=int(os.environ.get("WEAVIATE_PORT", "8080")),
    grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
)
try:
    result = {}
    if step == "write":
        collection = client.collections.create(
            name,
            properties=[
                wvc.config.Property(name="title", data_type=wvc.config.DataType.TEXT),
                wvc.config.Property(name="n", data_type=wvc.config.DataType.INT),
            ],
            vector_config=wvc.config.Configure.Vectors.self_provided(),
            inverted_index_config=wvc.config.Configure.inverted_index(bm25_b=0.7, bm25_k1=1.3),
        )
        inserted = collection.data.insert_many(
            [wvc.data.DataObject(properties=o["properties"], vector=o["vector"]) for o in json.load(sys.stdin)]
        )
        if inserted.has_errors:
            sys.exit(f"insert_many failed: {inserted.errors}")
        result["inserted"] = [str(inserted.uuids[i]) for i in sorted(inserted.uuids)]
    elif step != "read":
        sys.exit(f"unknown step {step!r}: write or read")
    result.update(read(client.collections.use(name)))
    print(json.dumps({"result": result}), flush=True)
finally:
    client.close()
