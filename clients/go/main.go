// The seed's Go backup samples, one per step, against weaviate-go-client v5:
//
//	backup create|status|cancel|restore|restore-status
//
// The server comes from WEAVIATE_HOST (the seed's localhost:8080), the backend
// from BACKUP_BACKEND (default filesystem), the id from BACKUP_ID (default the
// seed's). Prints {"result": ...} as one JSON line. `cancel` first prints
// {"ready": true} and waits for a line on stdin, so a test can cancel a running
// backup without racing the start-up.
//
// The seed calls WithCompressionConfig and WithCPUPercentage, which no published
// Go client has; WithConfig sends the same settings (CompressionLevel, ChunkSize,
// CPUPercentage) in the request's config.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate/entities/models"
)

func env(name, fallback string) string {
	if value, ok := os.LookupEnv(name); ok {
		return value
	}
	return fallback
}

func main() {
	backupID := env("BACKUP_ID", "my-very-first-backup")
	backend := env("BACKUP_BACKEND", "filesystem")

	cfg := weaviate.Config{
		Host:   env("WEAVIATE_HOST", "localhost:8080"),
		Scheme: "http",
	}
	client, err := weaviate.NewClient(cfg)
	if err != nil {
		panic(err)
	}

	var result any
	switch step := os.Args[1]; step {
	case "create":
		result, err = client.Backup().Creator().
			WithIncludeClassNames("Article", "Publication").
			WithBackend(backend).
			WithBackupID(backupID).
			WithWaitForCompletion(true).
			WithConfig(&models.BackupConfig{
				CompressionLevel: models.BackupConfigCompressionLevelBestSpeed,
				ChunkSize:        512,
				CPUPercentage:    80,
			}).
			Do(context.Background())
	case "status":
		result, err = client.Backup().CreateStatusGetter().
			WithBackend(backend).
			WithBackupID(backupID).
			Do(context.Background())
	case "cancel":
		fmt.Println(`{"ready":true}`)
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			panic(err)
		}
		err = client.Backup().Canceler().
			WithBackend(backend).
			WithBackupID(backupID).
			Do(context.Background())
		result = err == nil
	case "restore":
		result, err = client.Backup().Restorer().
			WithExcludeClassNames("Article").
			WithBackend(backend).
			WithBackupID(backupID).
			WithWaitForCompletion(true).
			WithConfig(&models.RestoreConfig{CPUPercentage: 80}).
			Do(context.Background())
	case "restore-status":
		result, err = client.Backup().RestoreStatusGetter().
			WithBackend(backend).
			WithBackupID(backupID).
			Do(context.Background())
	default:
		fmt.Fprintf(os.Stderr, "unknown step %q: create, status, cancel, restore or restore-status\n", step)
		os.Exit(2)
	}
	if err != nil {
		panic(err)
	}
	out, err := json.Marshal(map[string]any{"result": result})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
}
