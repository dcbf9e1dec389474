// What every view is handed: the signed-in community, the chosen range, and a
// way to query the API that turns a refused key into a return to sign-in.

import type { Community } from "./api";

export interface Range {
  from: string; // ISO dates, days in the community's time zone, both included
  to: string;
}

export interface App {
  community: Community;
  range: Range;
  query<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Show an error; a refused key has already sent the viewer to sign-in. */
  fail(error: unknown): void;
  openCustomer(id: string): void;
}

/** Runs ``load`` and drops its answer when a newer call started meanwhile. */
export function latestOnly<A extends unknown[], T>(
  load: (...args: A) => Promise<T>,
  use: (value: T) => void,
): (...args: A) => Promise<void> {
  let generation = 0;
  return async (...args: A) => {
    const mine = ++generation;
    const value = await load(...args);
    if (mine === generation) use(value);
  };
}
