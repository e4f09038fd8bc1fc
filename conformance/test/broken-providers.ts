// Providers that each break one obligation of the contract, to prove that the
// suite notices. Built on the example MemoryProvider.
import type { Readable } from 'node:stream';
import { BackupError, ErrorCode, type InternalCallOptions, type InternalReadOptions, type InternalWriteOptions, type Location } from '@backup/core';
import { MemoryProvider } from '../examples/memory-provider.ts';

/** Makes a chunk of what was written visible even when the write fails: not atomic. */
export class PartialWriteProvider extends MemoryProvider {
  protected override async _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of body) chunks.push(chunk as Buffer);
    } finally {
      await this._put(key, Buffer.concat(chunks), options);
    }
  }
}

/** Returns the whole object whatever range was asked for. */
export class RangeIgnoringProvider extends MemoryProvider {
  protected override async _read(key: string, options: InternalReadOptions): Promise<Readable> {
    return await super._read(key, { ...options, range: undefined });
  }
}

/** Stops listing after the first page. */
export class FirstPageOnlyProvider extends MemoryProvider {
  protected override async *_list(prefix: string, options: InternalCallOptions) {
    let listed = 0;
    for await (const info of super._list(prefix, options)) {
      if (listed++ === this.capabilities.listPageSize) return;
      yield info;
    }
  }
}

/** Fails to delete what is not there, with an error that is not NOT_FOUND. */
export class StrictDeleteProvider extends MemoryProvider {
  protected override async _delete(key: string, options: InternalCallOptions): Promise<void> {
    if (!(await this._exists(key, options))) throw new BackupError(ErrorCode.IO, `cannot delete ${key}`);
    await super._delete(key, options);
  }
}

/** Ignores `location` overrides: everything lands in the default root. */
export class OverrideIgnoringProvider extends MemoryProvider {
  override homeDir(backupId: string, location?: Location): string {
    return super.homeDir(backupId, location);
  }
  protected override async _put(key: string, data: Buffer, options: InternalCallOptions) {
    await super._put(key, data, { ...options, location: undefined });
  }
  protected override async _write(key: string, body: Readable, options: InternalWriteOptions) {
    await super._write(key, body, { ...options, location: undefined });
  }
  protected override async _get(key: string, options: InternalCallOptions) {
    return await super._get(key, { ...options, location: undefined });
  }
  protected override async *_list(prefix: string, options: InternalCallOptions) {
    yield* super._list(prefix, { ...options, location: undefined });
  }
}

/** Stores keys the way a careless URL builder would: '%' and '#' get lost. */
export class LossyKeysProvider extends MemoryProvider {
  private static mangle(key: string): string {
    return key.replace(/[%#]/g, '_');
  }
  protected override async _put(key: string, data: Buffer, options: InternalCallOptions) {
    await super._put(LossyKeysProvider.mangle(key), data, options);
  }
  protected override async _get(key: string, options: InternalCallOptions) {
    return await super._get(LossyKeysProvider.mangle(key), options);
  }
}

/** Every instance shares one store, so factory() instances are not isolated. */
const shared = new MemoryProvider();
export function sharedStateFactory(): MemoryProvider {
  return shared;
}

/** Lists the whole rest of each key as a folder, objects included, instead of the next segment. */
export class DeepFoldersProvider extends MemoryProvider {
  protected override async *_listFolders(folder: string, options: InternalCallOptions) {
    for await (const { key } of this._list(folder, options)) yield key.slice(folder.length);
  }
}

/** Declares a manifest anyone can change (not built with `defineCapabilities`). */
export class MutableManifestProvider extends MemoryProvider {
  override readonly capabilities = { ...new MemoryProvider().capabilities };
}
