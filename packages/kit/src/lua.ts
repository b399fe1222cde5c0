import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';

const INCLUDE = /^--\s*@include\s+"([^"]+)"\s*$/gm;

/**
 * Reads a Lua script and inlines its `-- @include "file.lua"` lines (resolved next
 * to it), so shared helpers are written once.
 */
export function readLua(path: string, seen: Set<string> = new Set()): string {
  if (seen.has(path)) return '';
  seen.add(path);
  return readFileSync(path, 'utf8').replace(INCLUDE, (_, file: string) => readLua(join(dirname(path), file), seen));
}

/**
 * A Lua script registered once on a connection (EVALSHA, falling back to EVAL
 * after a script flush); call it with its keys and arguments.
 */
export type LuaScript = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * Registers scripts kept as files: `{ admit: { file: '/abs/admit.lua', keys: 4 } }`.
 * The file's header comment names its KEYS, ARGV and reply.
 */
export function defineLuaScripts<N extends string>(
  redis: Redis,
  scripts: Record<N, { file: string; keys: number }>,
): Record<N, LuaScript> {
  const result = {} as Record<N, LuaScript>;
  for (const name of Object.keys(scripts) as N[]) {
    const { file, keys } = scripts[name];
    const command = `fcfs_${name}`;
    redis.defineCommand(command, { numberOfKeys: keys, lua: readLua(file) });
    const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[command];
    if (fn === undefined) throw new Error(`could not register Lua script ${name}`);
    result[name] = (k, a) => {
      if (k.length !== keys) throw new Error(`Lua script ${name} takes ${keys} keys, got ${k.length}`);
      return fn.call(redis, ...k, ...a);
    };
  }
  return result;
}
