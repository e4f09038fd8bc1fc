/**
 * Copies a native program into the bundle with the shared libraries it needs
 * beyond the C library (found with `ldd`), and puts a wrapper on the bundle's
 * PATH that points the dynamic loader at them. The C library itself is never
 * copied: a program must use the target machine's own loader and libc.
 */
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Part of the C library: always the target machine's own. */
const LIBC = /^(linux-vdso|linux-gate|ld-linux|libc|libm|libdl|libpthread|librt|libresolv|libutil|libmvec)\.so/;

export interface BundledBinary {
  readonly name: string;
  /** Libraries copied beside it (file names). */
  readonly libraries: string[];
}

/** The shared libraries `program` loads that are not part of the C library, as absolute paths. */
export function nonLibcLibraries(program: string): string[] {
  const result = spawnSync('ldd', [program], { encoding: 'utf8' });
  // A static program: ldd says "not a dynamic executable" and fails; it needs nothing.
  if (result.status !== 0) return [];
  const libraries: string[] = [];
  for (const line of result.stdout.split('\n')) {
    const match = /^\s*(\S+)\s+=>\s+(\S+)\s+\(/.exec(line);
    if (match === null || LIBC.test(match[1]!)) continue;
    if (match[2] === 'not') throw new Error(`${program} needs ${match[1]}, which is not installed here`);
    libraries.push(match[2]!);
  }
  return libraries;
}

/**
 * `program` into `<bundle>/native/<name>` and its libraries into
 * `<bundle>/native/lib/`, and `<bundle>/bin/<name>`: the program itself when
 * it needs no library, else a `sh` wrapper setting `LD_LIBRARY_PATH` for it
 * alone (not for the processes around it).
 */
export async function bundleBinary(bundleDir: string, name: string, program: string): Promise<BundledBinary> {
  const real = await fsp.realpath(program);
  const libraries = nonLibcLibraries(real);
  const binDir = path.join(bundleDir, 'bin');
  await fsp.mkdir(binDir, { recursive: true });
  if (libraries.length === 0) {
    await fsp.copyFile(real, path.join(binDir, name));
    await fsp.chmod(path.join(binDir, name), 0o755);
    return { name, libraries: [] };
  }
  const nativeDir = path.join(bundleDir, 'native');
  await fsp.mkdir(path.join(nativeDir, 'lib'), { recursive: true });
  await fsp.copyFile(real, path.join(nativeDir, name));
  await fsp.chmod(path.join(nativeDir, name), 0o755);
  for (const library of libraries) await fsp.copyFile(library, path.join(nativeDir, 'lib', path.basename(library)));
  const wrapper =
    '#!/bin/sh\n' +
    `# ${name} with the libraries copied beside it (${libraries.map((l) => path.basename(l)).join(', ')}).\n` +
    'here=$(dirname "$(readlink -f "$0")")/../native\n' +
    `LD_LIBRARY_PATH="$here/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/${name}" "$@"\n`;
  await fsp.writeFile(path.join(binDir, name), wrapper, { mode: 0o755 });
  return { name, libraries: libraries.map((library) => path.basename(library)) };
}
