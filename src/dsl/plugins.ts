// Custom node plugins: every `*.js` file in CADENZA_PLUGINS_DIR exports one plugin (default
// export, `plugin`, or an array `plugins`). Metadata is validated at start; a bad plugin throws
// a PluginLoadError naming the file, which stops the process.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { builtinRegistry } from './builtins';
import type { NodeType, NodeRegistry } from './registry';

export class PluginLoadError extends Error {
  override name = 'PluginLoadError';
  constructor(file: string, why: string) {
    super(`workflow node plugin ${file} is invalid: ${why}`);
  }
}

const PluginMeta = z.object({
  type: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*(\.[A-Za-z0-9]+)+$/, 'must look like <package>.<name>, e.g. acme.sendInvoice')
    .refine((t) => !t.startsWith('n8n-nodes-base.') && !t.startsWith('cadenza.'), 'must not use the n8n-nodes-base or cadenza prefix'),
  versions: z.array(z.number().positive()).min(1).max(50),
  description: z.string().min(1).max(500),
  parameters: z.custom<z.ZodType>((v) => typeof (v as { safeParse?: unknown })?.safeParse === 'function', 'must be a zod schema'),
  execute: z.custom<NodeType['execute']>((v) => typeof v === 'function', 'must be a function'),
  outputs: z.number().int().min(1).max(20).optional(),
});

function exportsOf(mod: Record<string, unknown>): unknown[] {
  if (Array.isArray(mod.plugins)) return mod.plugins;
  return [mod.default ?? mod.plugin ?? mod];
}

/** Checks one exported plugin and turns it into a registry entry (plugins always run in activities). */
function toPlugin(file: string, raw: unknown): NodeType {
  const meta = PluginMeta.safeParse(raw);
  if (!meta.success) throw new PluginLoadError(file, meta.error.issues.map((i) => `${i.path.join('.') || 'export'} ${i.message}`).join('; '));
  const outputs = meta.data.outputs ?? 1;
  return { ...meta.data, kind: 'activity', outputs: () => outputs };
}

export function loadPlugins(dir: string, into: NodeRegistry): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new PluginLoadError(dir, 'CADENZA_PLUGINS_DIR is not a folder');
  const loaded: string[] = [];
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    const file = path.join(dir, name);
    let mod: Record<string, unknown>;
    try {
      mod = require(file) as Record<string, unknown>;
    } catch (err) {
      throw new PluginLoadError(file, `it does not load (${(err as Error).message})`);
    }
    for (const raw of exportsOf(mod)) {
      const plugin = toPlugin(file, raw);
      try {
        into.register(plugin);
      } catch (err) {
        throw new PluginLoadError(file, (err as Error).message);
      }
      loaded.push(plugin.type);
    }
  }
  return loaded;
}

/** The workflow node types of a process: built-ins plus the plugins folder; the composition root loads it once (AppCtx.nodes). */
export function loadNodeRegistry(pluginsDir: string | undefined): NodeRegistry {
  const r = builtinRegistry();
  if (pluginsDir !== undefined) loadPlugins(path.resolve(pluginsDir), r);
  return r;
}
