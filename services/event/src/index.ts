export { startEvent, type EventOverrides, type RunningEvent } from './app';
export { configSchema, loadServiceConfig, type EventConfig } from './config';
export type { ApplicationsProducer } from './gate/producer';
export { createDrawStore, type DrawStore, type RecordedDraw } from './waitroom/draw-store';
export { createDrawer, type Drawer, type DrawerDeps } from './waitroom/drawer';
