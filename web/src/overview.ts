// The range summary, the monthly chart and its table.

import { SUMMARY, type Month, type Summary } from "./api";
import { latestOnly, type App, type Range } from "./app";
import { drawMonths } from "./chart";
import { byId, fill, h } from "./dom";
import * as format from "./format";

const METRICS: [keyof Summary, string, (s: Summary) => string][] = [
  ["activeRate", "Active rate", (s) => format.rate(s.activeRate)],
  ["activeCustomers", "Active customers", (s) => format.count(s.activeCustomers)],
  ["inactiveCustomers", "Inactive customers", (s) => format.count(s.inactiveCustomers)],
  ["totalCustomers", "Total customers", (s) => format.count(s.totalCustomers)],
  ["pageViews", "Page views", (s) => format.count(s.pageViews)],
  ["uniqueVisitors", "Unique visitors", (s) => format.count(s.uniqueVisitors)],
  ["anonymousPageViews", "Anonymous page views", (s) => format.count(s.anonymousPageViews)],
];

function showSummary(summary: Summary): void {
  const list = byId("summary");
  fill(
    list,
    ...METRICS.map(([key, label, text]) =>
      h(
        "div",
        { class: "kpi", "data-metric": key },
        h("dt", {}, label),
        h("dd", { class: "kpi-value" }, text(summary)),
      ),
    ),
  );
  const { activeCustomers: active, totalCustomers: total } = summary;
  const note = `${format.count(active)} of ${format.count(total)} customers active`;
  list.querySelector("[data-metric=activeRate]")!.append(h("dd", { class: "kpi-note" }, note));
  list.setAttribute("aria-busy", "false");
}

function monthRow(m: Month): HTMLTableRowElement {
  return h(
    "tr",
    { "data-month": m.month },
    h("th", { scope: "row" }, format.month(m.month)),
    h("td", { class: "num" }, format.count(m.activeCustomers)),
    h("td", { class: "num" }, format.count(m.inactiveCustomers)),
    h("td", { class: "num" }, format.count(m.totalCustomers)),
    h("td", { class: "num" }, format.rate(m.activeRate)),
  );
}

function showMonths(months: Month[]): void {
  drawMonths(byId<HTMLCanvasElement>("chart"), months);
  fill(byId("months").querySelector("tbody")!, ...months.map(monthRow));
}

export function overview(app: App): () => Promise<void> {
  const load = latestOnly(
    async (range: Range) => {
      const answer = await app.query<{ engagementSummary: Summary }>(SUMMARY, { ...range });
      return { range, summary: answer.engagementSummary };
    },
    ({ range, summary }) => {
      byId("range-caption").textContent =
        `${format.calendarDate(range.from)} – ${format.calendarDate(range.to)}, ` +
        app.community.timezone;
      showSummary(summary);
      showMonths(summary.months);
    },
  );
  return async () => {
    const list = byId("summary");
    list.setAttribute("aria-busy", "true");
    await load({ ...app.range }).catch((error: unknown) => {
      list.setAttribute("aria-busy", "false");
      app.fail(error);
    });
  };
}
