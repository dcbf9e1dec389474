// The customers table: All / Active / Inactive tabs, search, sorting by the
// API's orderBy, and paging forward with `after` cursors.

import { CUSTOMERS, type Activity, type Connection, type CustomerRow, type Order } from "./api";
import { latestOnly, type App } from "./app";
import { byId, fill, h } from "./dom";
import * as format from "./format";

export const PAGE_SIZE = 25;

// Each order has one direction in the API: names A to Z, the rest biggest or
// newest first (never seen last).
const DIRECTION: Record<Order, "ascending" | "descending"> = {
  NAME: "ascending",
  PAGE_VIEWS: "descending",
  UNIQUE_VISITORS: "descending",
  LAST_SEEN: "descending",
};

interface ListState {
  activity: Activity;
  orderBy: Order | null; // null: the API's default for the tab
  search: string;
  cursors: (string | null)[]; // the `after` of each page up to the shown one
}

const state: ListState = { activity: "ALL", orderBy: null, search: "", cursors: [null] };

function order(): Order {
  return state.orderBy ?? (state.activity === "INACTIVE" ? "LAST_SEEN" : "NAME");
}

export function lastSeen(instant: string | null, zone: string): HTMLElement {
  if (instant === null) return h("span", { class: "never" }, "Never");
  return h(
    "time",
    { datetime: instant, title: format.dateTimeIn(instant, zone) },
    format.dateIn(instant, zone),
  );
}

export function lurkerBadge(): HTMLElement {
  return h(
    "span",
    { class: "badge badge-lurker", title: "Reads without contributing" },
    "Lurker",
  );
}

function row(app: App, customer: CustomerRow): HTMLTableRowElement {
  const e = customer.engagement;
  const tr = h(
    "tr",
    { "data-id": customer.id },
    h(
      "td",
      {},
      h(
        "span",
        { class: "name-cell" },
        h("a", { href: `#/customers/${customer.id}`, class: "row-link" }, customer.name),
        e.lurker && lurkerBadge(),
      ),
    ),
    h("td", { class: "num" }, format.count(e.uniqueVisitors)),
    h("td", { class: "num" }, format.count(e.pageViews)),
    h("td", { class: "num" }, format.count(e.contributions.total)),
    h("td", {}, lastSeen(customer.lastSeenAt, app.community.timezone)),
  );
  tr.addEventListener("click", (event) => {
    if (!(event.target as Element).closest("a")) app.openCustomer(customer.id);
  });
  return tr;
}

function emptyRow(): HTMLTableRowElement {
  const text = state.search
    ? `No customer names contain “${state.search}” in this range.`
    : "No customers in this range.";
  return h("tr", { class: "empty" }, h("td", { colspan: 5 }, text));
}

function showPage(app: App, page: Connection<CustomerRow>): void {
  const rows = page.edges.map((edge) => row(app, edge.node));
  const table = byId("customers");
  fill(table.querySelector("tbody")!, ...(rows.length ? rows : [emptyRow()]));
  table.setAttribute("aria-busy", "false");

  const first = (state.cursors.length - 1) * PAGE_SIZE + 1;
  byId("page-status").textContent = rows.length
    ? `${format.count(first)}–${format.count(first + rows.length - 1)} of ` +
      `${format.count(page.totalCount)} customers`
    : "";
  const next = byId<HTMLButtonElement>("next-page");
  next.disabled = !page.pageInfo.hasNextPage;
  next.dataset.cursor = page.pageInfo.endCursor ?? "";
  byId<HTMLButtonElement>("prev-page").disabled = state.cursors.length < 2;
}

function showHeaders(): void {
  for (const th of document.querySelectorAll<HTMLElement>("#customers th[data-order]")) {
    const sorted = th.dataset.order === order();
    if (sorted) th.setAttribute("aria-sort", DIRECTION[order()]);
    else th.removeAttribute("aria-sort");
    th.querySelector("button")?.setAttribute("aria-pressed", String(sorted));
  }
}

function showTabs(): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>("[role=tab]")) {
    const selected = tab.dataset.activity === state.activity;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  byId("customers-panel").setAttribute("aria-labelledby", `tab-${state.activity}`);
}

/** Turns each sortable header into a button that sorts by its column. */
function sortButtons(restart: () => void): void {
  for (const th of document.querySelectorAll<HTMLElement>("#customers th[data-order]")) {
    const key = th.dataset.order as Order;
    const label = th.textContent!.trim();
    const arrow = DIRECTION[key] === "ascending" ? "▲" : "▼";
    const button = h(
      "button",
      { type: "button", class: "sort", title: `Sort by ${label.toLowerCase()}` },
      label,
      h("span", { class: "sort-arrow", "aria-hidden": "true" }, arrow),
    );
    button.addEventListener("click", () => {
      state.orderBy = key;
      restart();
    });
    fill(th, button);
  }
}

function tabKeys(event: KeyboardEvent): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>("[role=tab]")];
  const at = tabs.indexOf(event.target as HTMLButtonElement);
  const moves: Record<string, number> = {
    ArrowLeft: at - 1,
    ArrowRight: at + 1,
    Home: 0,
    End: tabs.length - 1,
  };
  if (at < 0 || !(event.key in moves)) return;
  event.preventDefault();
  const target = tabs[(moves[event.key] + tabs.length) % tabs.length];
  target.focus();
  target.click();
}

function wire(restart: () => void, turn: (cursors: (string | null)[]) => void): void {
  sortButtons(restart);
  for (const tab of document.querySelectorAll<HTMLButtonElement>("[role=tab]")) {
    tab.addEventListener("click", () => {
      if (state.activity === tab.dataset.activity) return;
      state.activity = tab.dataset.activity as Activity;
      state.orderBy = null;
      restart();
    });
  }
  document
    .querySelector("[role=tablist]")!
    .addEventListener("keydown", (event) => tabKeys(event as KeyboardEvent));

  const search = byId<HTMLInputElement>("search");
  let timer = 0;
  const searchNow = () => {
    window.clearTimeout(timer);
    if (search.value.trim() === state.search) return;
    state.search = search.value.trim();
    restart();
  };
  search.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(searchNow, 300);
  });
  byId("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchNow();
  });

  byId("next-page").addEventListener("click", () => {
    const cursor = byId("next-page").dataset.cursor;
    if (cursor) turn([...state.cursors, cursor]);
  });
  byId("prev-page").addEventListener("click", () => turn(state.cursors.slice(0, -1)));
}

/** Sets the table up; the returned function reloads it from the first page. */
export function customers(app: App): () => Promise<void> {
  const load = latestOnly(
    () =>
      app.query<{ customers: Connection<CustomerRow> }>(CUSTOMERS, {
        ...app.range,
        activity: state.activity,
        search: state.search || null,
        orderBy: state.orderBy,
        first: PAGE_SIZE,
        after: state.cursors[state.cursors.length - 1],
      }),
    (data) => showPage(app, data.customers),
  );
  const show = async () => {
    showTabs();
    showHeaders();
    const table = byId("customers");
    table.setAttribute("aria-busy", "true");
    await load().catch((error: unknown) => {
      table.setAttribute("aria-busy", "false");
      app.fail(error);
    });
  };
  const restart = () => {
    state.cursors = [null];
    return show();
  };
  wire(
    () => void restart(),
    (cursors) => {
      state.cursors = cursors;
      void show();
    },
  );
  return restart;
}
