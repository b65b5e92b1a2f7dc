export * from './dataError';
export * from './collectionIndex';
export * from './queries';
export * from './qrels';
export * from './runs';
export * from './datasetFiles';
export * from './dataset';
export { scanLines, firstInvalidUtf8Byte } from './lineScanner';
export * from './splits';
