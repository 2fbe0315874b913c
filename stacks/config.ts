import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { InvalidInputError, zodProblems } from "../tenants/schema";

/** Reads a structured config value and validates it, naming the stack and key on failure. */
export function requireConfigObject<S extends z.ZodType>(config: pulumi.Config, key: string, schema: S): z.output<S> {
  return parseConfigValue(config, key, config.requireObject<unknown>(key), schema);
}

export function optionalConfigObject<S extends z.ZodType>(config: pulumi.Config, key: string, schema: S): z.output<S> | undefined {
  const raw = config.getObject<unknown>(key);
  return raw === undefined ? undefined : parseConfigValue(config, key, raw, schema);
}

/** A plain (string) config value checked by its schema; absent stays undefined. */
export function optionalConfigValue<S extends z.ZodType>(config: pulumi.Config, key: string, schema: S): z.output<S> | undefined {
  const raw = config.get(key);
  return raw === undefined ? undefined : parseConfigValue(config, key, raw, schema);
}

function parseConfigValue<S extends z.ZodType>(config: pulumi.Config, key: string, raw: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new InvalidInputError(zodProblems(configSource(config, key), result.error));
  return result.data;
}

export function configSource(config: pulumi.Config, key: string): string {
  return `stack ${pulumi.getStack()} config ${config.name}:${key}`;
}
