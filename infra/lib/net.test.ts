// Ports planned one after another must differ: the kernel can answer two binds to port 0 with the same
// number, and two parts given one port left `npm run chaos` with an event service dying on EADDRINUSE.
import { distinctFreePorts, freePort } from './net';

describe('distinctFreePorts', () => {
  it('never hands out a port twice, even when the kernel repeats one', async () => {
    const answers = [40001, 40001, 40002, 40001, 40003];
    const next = distinctFreePorts(() => Promise.resolve(answers.shift() ?? 0));
    expect([await next(), await next(), await next()]).toEqual([40001, 40002, 40003]);
  });

  it('gives real free ports, all different', async () => {
    const next = distinctFreePorts(() => freePort());
    const ports = [];
    for (let i = 0; i < 30; i++) ports.push(await next());
    expect(new Set(ports).size).toBe(30);
  });
});
