export * from './models';
export * from './migrate';
export { migrations } from './migrations';
