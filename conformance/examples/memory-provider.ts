// A provider written outside this repository, as a third party would: it
// extends AbstractBackupProvider from @backup/core and keeps objects in a Map.
// (Buffers whole objects, so it is for tests only; real providers stream.)
import { Readable } from 'node:stream';
import {
  AbstractBackupProvider,
  BackupError,
  ErrorCode,
  defineCapabilities,
  type InternalCallOptions,
  type InternalReadOptions,
  type Location,
  type ObjectInfo,
} from '@backup/core';

export class MemoryProvider extends AbstractBackupProvider {
  readonly name = 'memory';
  readonly capabilities = defineCapabilities({
    rangedReads: true,
    abortCleansUp: true,
    multipart: null,
    maxObjectSize: 2 ** 31,
    listPageSize: 10,
  });
  private readonly objects = new Map<string, Buffer>();

  homeDir(backupId: string, location?: Location): string {
    return `memory://${location?.path ?? 'root'}/${backupId}`;
  }

  private slot(key: string, location: Location | undefined): string {
    return `${location?.path ?? 'root'}\u0000${key}`;
  }

  private find(key: string, location: Location | undefined): Buffer {
    const data = this.objects.get(this.slot(key, location));
    if (!data) throw new BackupError(ErrorCode.NOT_FOUND, `memory: no object ${key}`);
    return data;
  }

  protected async _put(key: string, data: Buffer, { location }: InternalCallOptions) {
    this.objects.set(this.slot(key, location), Buffer.from(data));
  }
  protected async _get(key: string, { location }: InternalCallOptions) {
    return this.find(key, location);
  }
  protected async _write(key: string, body: Readable, { location }: InternalCallOptions) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    this.objects.set(this.slot(key, location), Buffer.concat(chunks));
  }
  protected async _read(key: string, { location, range }: InternalReadOptions) {
    const data = this.find(key, location);
    const start = range?.offset ?? 0;
    const end = range?.length === undefined ? data.length : start + range.length;
    return Readable.from([data.subarray(start, end)]);
  }
  protected async _stat(key: string, { location }: InternalCallOptions): Promise<ObjectInfo> {
    return { key, size: this.find(key, location).length };
  }
  protected async *_list(prefix: string, { location }: InternalCallOptions) {
    const scope = this.slot('', location);
    for (const [slot, data] of this.objects) {
      const key = slot.slice(scope.length);
      if (slot.startsWith(scope) && key.startsWith(prefix)) yield { key, size: data.length };
    }
  }
  protected async _delete(key: string, { location }: InternalCallOptions) {
    this.objects.delete(this.slot(key, location));
  }
}
