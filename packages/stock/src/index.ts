// The stock shared by the event service (the gate) and the issuer (the decisions): one Redis key layout,
// one set of Lua scripts, one Kafka record codec, and MySQL's side of a rebuild.
export * from './keys';
export * from './entry';
export * from './scripts';
export * from './state';
export * from './record';
export * from './rebuild';
export * from './mysql';
export * from './watch';
export * from './pace';
