// The line shared by the event service (the gate) and the issuer (the decisions): one Redis key layout,
// one set of Lua scripts, one Kafka record codec.
export * from './keys';
export * from './entry';
export * from './scripts';
export * from './state';
export * from './record';
export * from './rebuild';
export * from './watch';
