export { launch, scratchDir, answers, type RunningEmulator, type LaunchOptions } from './launch.ts';
export { emulatorBinary, emulatorCache } from './binaries.ts';
export { freePort, freePorts, ephemeralLow } from './free-ports.ts';
