import { generateDataset } from './src/dataset.ts';
console.log(await generateDataset({ dataPath: process.argv[2]!, bytes: Number(process.argv[3]) * 1024 * 1024, seed: 42 }));
