package io.weaviate;

import com.google.gson.Gson;
import io.weaviate.client.Config;
import io.weaviate.client.WeaviateClient;
import io.weaviate.client.base.Result;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The seed's Java backup samples (io.weaviate:client), one per step:
 * {@code java io.weaviate.App create|status|cancel|restore|restore-status}.
 * The server comes from WEAVIATE_HOST (the seed's localhost:8080), the backend from
 * BACKUP_BACKEND (default filesystem, the seed's Backend.FILESYSTEM), the id from BACKUP_ID.
 * Prints {"result": ...} (or {"error": ...}, exit 1) as one JSON line. {@code cancel} first
 * prints {"ready":true} and waits for a line on stdin, so a test can cancel a running backup
 * without racing the JVM's start-up.
 */
public class App {
  public static void main(String[] args) throws Exception {
    String backupId = System.getenv().getOrDefault("BACKUP_ID", "my-very-first-backup");
    String backend = System.getenv().getOrDefault("BACKUP_BACKEND", "filesystem");

    Config config = new Config("http", System.getenv().getOrDefault("WEAVIATE_HOST", "localhost:8080"));
    WeaviateClient client = new WeaviateClient(config);

    Result<?> result;
    switch (args[0]) {
      case "create":
        result = client.backup().creator()
          .withIncludeClassNames("Article", "Publication")
          .withBackend(backend)
          .withBackupId(backupId)
          .withWaitForCompletion(true)
          .run();
        break;
      case "status":
        result = client.backup().createStatusGetter()
          .withBackend(backend)
          .withBackupId(backupId)
          .run();
        break;
      case "cancel":
        System.out.println("{\"ready\":true}");
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        result = client.backup().canceler()
          .withBackend(backend)
          .withBackupId(backupId)
          .run();
        break;
      case "restore":
        result = client.backup().restorer()
          .withExcludeClassNames("Article")
          .withBackend(backend)
          .withBackupId(backupId)
          .withWaitForCompletion(true)
          .run();
        break;
      case "restore-status":
        result = client.backup().restoreStatusGetter()
          .withBackend(backend)
          .withBackupId(backupId)
          .run();
        break;
      default:
        System.err.println("unknown step " + args[0] + ": create, status, cancel, restore or restore-status");
        System.exit(2);
        return;
    }
    Gson gson = new Gson();
    if (result.hasErrors()) {
      System.out.println(gson.toJson(Map.of("error", String.valueOf(result.getError()))));
      System.exit(1);
    }
    Object value = result.getResult();
    System.out.println(gson.toJson(Map.of("result", value == null ? true : value)));
  }
}
