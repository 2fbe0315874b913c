/** `random` stand-in: RandomPassword and RandomId from node's CSPRNG, under the same inputs and outputs as the real provider. */
import { randomBytes, randomInt } from "node:crypto";
import { secret } from "./config";
import { Props, TypeHandler } from "./generic";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

function flag(inputs: Props, name: string): boolean {
  return inputs[name] === undefined ? true : Boolean(inputs[name]);
}

function pick(alphabet: string): string {
  return alphabet[randomInt(alphabet.length)];
}

export function password(inputs: Props): string {
  const length = Number(inputs.length);
  if (!Number.isInteger(length) || length < 1) throw new Error(`RandomPassword: length must be a positive whole number, got ${String(inputs.length)}`);
  const sets: Array<[string, number]> = [];
  if (flag(inputs, "lower")) sets.push([LOWER, Number(inputs.minLower ?? 0)]);
  if (flag(inputs, "upper")) sets.push([UPPER, Number(inputs.minUpper ?? 0)]);
  if (flag(inputs, "numeric")) sets.push([DIGITS, Number(inputs.minNumeric ?? 0)]);
  if (flag(inputs, "special")) sets.push([typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : SPECIAL, Number(inputs.minSpecial ?? 0)]);
  if (sets.length === 0) throw new Error("RandomPassword: every character class is off");
  const chars: string[] = [];
  for (const [alphabet, min] of sets) for (let i = 0; i < min; i++) chars.push(pick(alphabet));
  const all = sets.map(([a]) => a).join("");
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.slice(0, length).join("");
}

/** RandomId's outputs: the bytes in four encodings, each after the optional prefix; the id is the URL-safe base64. */
export function randomIdOutputs(inputs: Props): Props {
  const byteLength = Number(inputs.byteLength);
  if (!Number.isInteger(byteLength) || byteLength < 1) throw new Error(`RandomId: byteLength must be a positive whole number, got ${String(inputs.byteLength)}`);
  const prefix = typeof inputs.prefix === "string" ? inputs.prefix : "";
  const bytes = randomBytes(byteLength);
  return {
    ...inputs,
    b64Std: prefix + bytes.toString("base64"),
    b64Url: prefix + bytes.toString("base64url"),
    hex: prefix + bytes.toString("hex"),
    dec: prefix + BigInt(`0x${bytes.toString("hex")}`).toString(10),
  };
}

export const randomHandlers: Readonly<Record<string, TypeHandler>> = {
  "random:index/randomPassword:RandomPassword": {
    replaceOn: ["*"],
    async create(_urn, inputs) {
      return { id: "none", outs: { result: secret(password(inputs)) } };
    },
    async delete() {},
  },
  "random:index/randomId:RandomId": {
    replaceOn: ["*"],
    async create(_urn, inputs) {
      const outs = randomIdOutputs(inputs);
      return { id: String(outs.b64Url), outs };
    },
    async delete() {},
  },
};
