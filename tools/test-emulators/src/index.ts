export { launch, freePort, freePorts, scratchDir, answers, type RunningEmulator, type LaunchOptions } from './launch.ts';
export { emulatorBinary, emulatorCache } from './binaries.ts';
