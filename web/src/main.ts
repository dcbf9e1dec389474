// The dashboard: sign in with a viewer key, then the overview of a date range,
// the customers table and a customer's detail (#/customers/ID).

import { AuthError, COMMUNITY, graphql, type Community } from "./api";
import { type App } from "./app";
import { customers } from "./customers";
import { customerDetail } from "./detail";
import { byId, fill, h } from "./dom";
import * as format from "./format";
import { watchJobs } from "./jobs";
import { overview } from "./overview";

// The key lives in this tab's session storage only: never in the URL, never
// in local storage, gone when the tab closes.
const KEY = "engagement.viewerKey";
const NOTICE = "engagement.signInNotice";

function showSignIn(message: string | null): void {
  byId("dashboard").hidden = true;
  byId("community").hidden = true;
  byId("sign-out").hidden = true;
  byId("sign-in").hidden = false;
  const error = byId("sign-in-error");
  error.textContent = message ?? "";
  error.hidden = !message;
  byId("key").focus();
}

/** Forget the key and start over on a fresh page, telling the viewer why. */
function signOut(message: string | null): void {
  sessionStorage.removeItem(KEY);
  if (message) sessionStorage.setItem(NOTICE, message);
  history.replaceState(null, "", location.pathname);
  location.reload();
}

function showError(error: unknown): void {
  if (error instanceof AuthError) return; // signOut is already on its way
  const banner = byId("error");
  const dismiss = h("button", { type: "button", class: "button button-quiet" }, "Dismiss");
  dismiss.addEventListener("click", () => (banner.hidden = true));
  const text = error instanceof Error ? error.message : String(error);
  fill(banner, h("span", {}, text), dismiss);
  banner.hidden = false;
}

function rangeForm(app: App, apply: () => void): void {
  const from = byId<HTMLInputElement>("from");
  const to = byId<HTMLInputElement>("to");
  from.value = app.range.from;
  to.value = app.range.to;
  const check = () =>
    to.setCustomValidity(from.value && to.value && from.value > to.value
      ? "The last day must not be before the first day."
      : "");
  from.addEventListener("input", check);
  to.addEventListener("input", check);
  byId("range-form").addEventListener("submit", (event) => {
    event.preventDefault();
    check();
    if (!byId<HTMLFormElement>("range-form").reportValidity()) return;
    app.range = { from: from.value, to: to.value };
    byId("error").hidden = true;
    apply();
  });
}

/** The customer id of a detail address (#/customers/ID), or null. */
function customerInHash(): string | null {
  const id = /^#\/customers\/([^/]+)$/.exec(location.hash)?.[1];
  return id === undefined ? null : decodeURIComponent(id);
}

function start(key: string, community: Community): void {
  const app: App = {
    community,
    range: format.lastTwelveMonths(community.timezone),
    query: <T>(query: string, variables?: Record<string, unknown>) =>
      graphql<T>(key, query, variables).catch((error: unknown): never => {
        if (error instanceof AuthError) signOut(`${error.message} Sign in again.`);
        throw error; // callers stop here; showError ignores an AuthError
      }),
    fail: showError,
    openCustomer: (id) => (location.hash = `#/customers/${id}`),
  };
  byId("community-name").textContent = community.name;
  byId("community-zone").textContent = community.timezone;
  for (const el of document.querySelectorAll("[data-zone]")) el.textContent = community.timezone;
  byId("sign-in").hidden = true;
  byId("community").hidden = false;
  byId("sign-out").hidden = false;
  byId("dashboard").hidden = false;

  const loadOverview = overview(app);
  const loadCustomers = customers(app);
  const openCustomer = customerDetail(app);
  let lastOpened: string | null = null;
  const route = () => {
    const id = customerInHash();
    byId("overview").hidden = id !== null;
    byId("detail").hidden = id === null;
    if (id !== null) {
      lastOpened = id;
      void openCustomer(id);
    } else if (lastOpened !== null) {
      const row = `#customers tr[data-id="${CSS.escape(lastOpened)}"] a`;
      document.querySelector<HTMLElement>(row)?.focus();
    }
  };
  const reload = () => {
    void loadOverview();
    void loadCustomers();
    if (!byId("detail").hidden) route();
  };
  rangeForm(app, reload);
  window.addEventListener("hashchange", route);
  watchJobs(app, reload);
  void loadOverview();
  void loadCustomers();
  route();
}

async function signInWith(key: string): Promise<void> {
  try {
    const { community } = await graphql<{ community: Community }>(key, COMMUNITY);
    sessionStorage.setItem(KEY, key);
    start(key, community);
  } catch (error) {
    sessionStorage.removeItem(KEY);
    showSignIn(error instanceof Error ? error.message : String(error));
  }
}

function boot(): void {
  byId("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = byId<HTMLInputElement>("key").value.trim();
    if (key) void signInWith(key);
  });
  byId("sign-out").addEventListener("click", () => signOut(null));
  const notice = sessionStorage.getItem(NOTICE);
  sessionStorage.removeItem(NOTICE);
  const key = sessionStorage.getItem(KEY);
  if (key) void signInWith(key);
  else showSignIn(notice);
}

boot();
