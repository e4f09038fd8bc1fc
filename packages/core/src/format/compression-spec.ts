/** How chunks are compressed, as the API names it and as descriptors record it. */

/** The compression levels of the API; the names are the reference's. */
export const CompressionLevel = {
  DefaultCompression: 'DefaultCompression',
  BestSpeed: 'BestSpeed',
  BestCompression: 'BestCompression',
  ZstdDefaultCompression: 'ZstdDefaultCompression',
  ZstdBestSpeed: 'ZstdBestSpeed',
  ZstdBestCompression: 'ZstdBestCompression',
  NoCompression: 'NoCompression',
} as const;

export type CompressionLevel = (typeof CompressionLevel)[keyof typeof CompressionLevel];

export type Codec = 'gzip' | 'zstd' | 'none';

/** What a descriptor records about how chunks were compressed. */
export interface CompressionSpec {
  readonly codec: Codec;
  /** Codec level (gzip 1-9, zstd 1-22); 0 for `none`. */
  readonly level: number;
  /** The API name it was chosen by. */
  readonly name: CompressionLevel;
}
