export * from './metrics';
export * from './format';
