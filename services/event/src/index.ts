export { startEvent, type EventOverrides, type RunningEvent } from './app';
export { configSchema, loadServiceConfig, type EventConfig } from './config';
export { createDrawStore, type DrawStore, type RecordedDraw } from './waitroom/draw-store';
export { createDrawer, type Drawer, type DrawerDeps } from './waitroom/drawer';
