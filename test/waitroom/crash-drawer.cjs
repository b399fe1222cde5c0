// A drawer process that dies the hard way (SIGKILL) right after recording its event's draw in MySQL, before
// placing anyone in Redis: the crash the waiting-room test makes another replica recover from. Runs the
// compiled parts (npm run build): node crash-drawer.cjs <event id>, with the event service's environment.
const { createLogger, createRedis } = require('@fcfs/kit');
const { createSequelize } = require('@fcfs/kit/mysql');
const { defineStockScripts } = require('@fcfs/stock');
const { createDrawer, createDrawStore } = require('@fcfs/event');

const eventId = process.argv[2];
const env = process.env;
const logger = createLogger('crash-drawer', 'silent');
const redis = createRedis(env.REDIS_URL, logger);
const sequelize = createSequelize(env.MYSQL_URL, logger);
const drawer = createDrawer({
  redis,
  scripts: defineStockScripts(redis),
  sequelize,
  prefix: env.STOCK_REDIS_PREFIX,
  store: createDrawStore(sequelize),
  producer: {
    send: async () => {
      throw new Error('the crash comes before any produce');
    },
  },
  logger,
  now: Date.now,
  intervalMs: 60_000,
  leaseMs: Number(env.WAITROOM_DRAW_LEASE_MS),
  afterDraw: async (draw) => {
    process.stdout.write(`${JSON.stringify({ seed: draw.seed, made: draw.made, order: draw.order })}\n`, () =>
      process.kill(process.pid, 'SIGKILL'),
    );
    await new Promise(() => undefined);
  },
});
drawer.drawAndPlace(eventId).then(
  (ran) => process.exit(ran ? 3 : 5),
  () => process.exit(4),
);
