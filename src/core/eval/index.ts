export * from './metrics';
export * from './format';
export * from './significance';
