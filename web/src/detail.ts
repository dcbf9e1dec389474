// One customer: its engagement in the range, customer periods and members.

import { CUSTOMER, type CustomerDetail, type Member } from "./api";
import { latestOnly, type App } from "./app";
import { lastSeen, lurkerBadge } from "./customers";
import { byId, fill, h } from "./dom";
import * as format from "./format";

const LINK_SOURCES: Record<NonNullable<Member["linkSource"]>, string> = {
  MANUAL: "Manual",
  CRM_CONTACT: "CRM contact",
  EMAIL_DOMAIN: "E-mail domain",
};

type Answer = { customer: CustomerDetail | null };

function kpi(key: string, label: string, value: Node | string): HTMLElement {
  return h(
    "div",
    { class: "kpi", "data-metric": key },
    h("dt", {}, label),
    h("dd", { class: "kpi-value" }, value),
  );
}

function head(c: CustomerDetail): HTMLElement {
  const facts = [`CRM id ${c.crmId}`, ...c.domains].join(" · ");
  return h(
    "div",
    { class: "page-head detail-head" },
    h(
      "div",
      {},
      h("a", { href: "#", class: "back" }, "← All customers"),
      h(
        "h1",
        { id: "detail-title", tabindex: -1 },
        c.name,
        h(
          "span",
          { class: c.isCustomer ? "badge badge-ok" : "badge" },
          c.isCustomer ? "Customer" : "Former customer",
        ),
        c.engagement.lurker && lurkerBadge(),
      ),
      h("p", { class: "muted" }, facts),
    ),
  );
}

function numbers(app: App, c: CustomerDetail): HTMLElement {
  const e = c.engagement;
  const { from, to } = app.range;
  const range = `${format.calendarDate(from)} – ${format.calendarDate(to)}`;
  return h(
    "section",
    { "aria-labelledby": "detail-numbers-title" },
    h(
      "h2",
      { id: "detail-numbers-title", class: "section-title" },
      `Engagement, ${range}`,
      h("span", { class: "muted" }, ` (${app.community.timezone})`),
    ),
    h(
      "dl",
      { class: "kpis" },
      kpi("pageViews", "Page views", format.count(e.pageViews)),
      kpi("uniqueVisitors", "Unique visitors", format.count(e.uniqueVisitors)),
      kpi("contributions", "Contributions", format.count(e.contributions.total)),
      kpi("memberCount", "Members now", format.count(c.memberCount)),
      kpi("lastSeenAt", "Last seen", lastSeen(c.lastSeenAt, app.community.timezone)),
    ),
  );
}

function contributions(c: CustomerDetail): HTMLElement {
  const kinds = c.engagement.contributions;
  const rows: [string, number][] = [
    ["Topics", kinds.topics],
    ["Replies", kinds.replies],
    ["Reactions", kinds.reactions],
    ["Solutions", kinds.solutions],
    ["Ideas", kinds.ideas],
  ];
  return h(
    "section",
    { class: "card", "aria-labelledby": "contributions-title" },
    h("h2", { id: "contributions-title" }, "Contributions in the range"),
    h(
      "dl",
      { class: "breakdown" },
      ...rows.map(([label, value]) =>
        h("div", {}, h("dt", {}, label), h("dd", {}, format.count(value))),
      ),
    ),
  );
}

/** A customer period [from, to) in words; null ends are open. */
function period(from: string | null, to: string | null, zone: string): string {
  const start = from && format.dateIn(from, zone);
  const end = to && format.dateIn(to, zone);
  if (start && end) return `${start} – ${end}`;
  if (start) return `Since ${start}`;
  if (end) return `Until ${end} (since before any record)`;
  return "Always (since before any record)";
}

function periods(app: App, c: CustomerDetail): HTMLElement {
  const zone = app.community.timezone;
  // Oldest first; one that began before any record comes first.
  const start = (p: { from: string | null }) =>
    p.from ? Date.parse(p.from) : Number.MIN_SAFE_INTEGER;
  const sorted = [...c.customerPeriods].sort((a, b) => start(a) - start(b));
  const items = sorted.map((p) => h("li", {}, period(p.from, p.to, zone)));
  return h(
    "section",
    { class: "card", "aria-labelledby": "periods-title" },
    h("h2", { id: "periods-title" }, "Customer periods"),
    items.length
      ? h("ul", { class: "periods" }, ...items)
      : h("p", { class: "muted" }, "Never a customer."),
  );
}

function memberRow(app: App, m: Member): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("td", {}, m.externalId),
    h("td", {}, m.email ?? "—"),
    h("td", {}, m.linkSource ? LINK_SOURCES[m.linkSource] : "—"),
    h("td", {}, m.linkedAt ? format.dateTimeIn(m.linkedAt, app.community.timezone) : "—"),
  );
}

function members(app: App, c: CustomerDetail, more: (after: string) => void): HTMLElement {
  const body = h("tbody", {}, ...c.members.edges.map((e) => memberRow(app, e.node)));
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "members-title" },
    h("h2", { id: "members-title" }, `Members (${format.count(c.members.totalCount)})`),
  );
  if (!c.members.edges.length) {
    section.append(h("p", { class: "muted" }, "No members are linked to this company."));
    return section;
  }
  const table = h(
    "table",
    { id: "members", class: "data-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Member"),
        h("th", { scope: "col" }, "E-mail"),
        h("th", { scope: "col" }, "Linked by"),
        h("th", { scope: "col" }, "Linked at"),
      ),
    ),
    body,
  );
  section.append(h("div", { class: "table-wrap" }, table));
  if (c.members.pageInfo.hasNextPage && c.members.pageInfo.endCursor) {
    const cursor = c.members.pageInfo.endCursor;
    const button = h("button", { type: "button", class: "button" }, "Show more members");
    button.addEventListener("click", () => more(cursor));
    section.append(h("div", { class: "pager" }, button));
  }
  return section;
}

function show(app: App, c: CustomerDetail, more: (after: string) => void): void {
  const view = byId("detail");
  fill(
    view,
    head(c),
    numbers(app, c),
    h("div", { class: "detail-grid" }, contributions(c), periods(app, c)),
    members(app, c, more),
  );
  view.setAttribute("aria-busy", "false");
}

function appendMembers(app: App, c: CustomerDetail, more: (after: string) => void): void {
  const fresh = members(app, c, more);
  byId("members-title").closest("section")!.replaceWith(fresh);
  fresh.querySelector<HTMLElement>(".pager button")?.focus();
}

export function customerDetail(app: App): (id: string) => Promise<void> {
  let shown: CustomerDetail | null = null;
  const fetch = (id: string, after: string | null) =>
    app.query<Answer>(CUSTOMER, { id, ...app.range, after });
  const more = (after: string) => void loadMore(after).catch(app.fail);
  const open = latestOnly(fetch, ({ customer }) => {
    shown = customer;
    if (customer === null) {
      fill(
        byId("detail"),
        h("a", { href: "#", class: "back" }, "← All customers"),
        h("h1", { id: "detail-title", tabindex: -1 }, "No such customer"),
        h("p", { class: "muted" }, "There is no customer with this id in your community."),
      );
    } else {
      show(app, customer, more);
    }
    byId("detail-title").focus();
  });
  const loadMore = latestOnly(
    (after: string) => fetch(shown!.id, after),
    ({ customer }) => {
      if (!customer || !shown) return;
      const edges = [...shown.members.edges, ...customer.members.edges];
      shown = { ...shown, members: { ...customer.members, edges } };
      appendMembers(app, shown, more);
    },
  );
  return async (id: string) => {
    const view = byId("detail");
    view.setAttribute("aria-busy", "true");
    fill(view, h("p", { class: "muted loading" }, "Loading…"));
    await open(id, null).catch(app.fail);
  };
}
