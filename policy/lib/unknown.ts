/**
 * Values a preview cannot know yet (a server's address before it exists). CrossGuard's props
 * throw `UnknownValueError` when a policy touches one, which would stop the whole policy for the
 * resource or stack with a generic advisory note; policies that read such values go through
 * `read` instead and say, in their description, what they judge while a value is unknown. Under
 * `pulumi up` the CLI runs the pack again as each resource is registered, its inputs known.
 */
import { UnknownValueError } from "@pulumi/policy";

export type Read<T> = { readonly known: true; readonly value: T } | { readonly known: false };

/** The offline plan's stand-in for CrossGuard's proxy throws its own error with CrossGuard's wording. */
const isUnknownError = (error: unknown): boolean =>
  error instanceof UnknownValueError || (error instanceof Error && /can't be known during preview$/.test(error.message));

export function read<T>(get: () => T): Read<T> {
  try {
    return { known: true, value: get() };
  } catch (error) {
    if (isUnknownError(error)) return { known: false };
    throw error;
  }
}

/** The elements of an array that may be unknown itself or hold unknown elements; unknown ones are left out. */
export function knownElements(get: () => unknown): { readonly elements: unknown[]; readonly complete: boolean } {
  const list = read(get);
  if (!list.known) return { elements: [], complete: false };
  if (!Array.isArray(list.value)) return { elements: [], complete: true };
  const items = list.value as unknown[];
  const elements: unknown[] = [];
  let complete = true;
  for (let i = 0; i < items.length; i++) {
    const item = read(() => items[i]);
    if (item.known) elements.push(item.value); else complete = false;
  }
  return { elements, complete };
}
