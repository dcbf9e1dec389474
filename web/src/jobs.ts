// Running syncs and other long jobs: shown while queued or running, polled
// until they end; when one ends, the numbers are reloaded (it may have moved
// history between companies).

import { JOBS, type Job } from "./api";
import type { App } from "./app";
import { byId, fill, h } from "./dom";
import * as format from "./format";

const POLL_MS = 4000;

const KINDS: Record<string, string> = {
  enrich_members: "Re-attributing member history",
  salesforce_sync: "Salesforce sync",
  import_companies: "Company import",
};

function label(kind: string): string {
  const words = kind.replaceAll("_", " ");
  return KINDS[kind] ?? words.charAt(0).toUpperCase() + words.slice(1);
}

function jobItem(app: App, job: Job): HTMLElement {
  const since = job.startedAt ?? job.createdAt;
  const status = job.status === "RUNNING" ? "Running" : "Queued";
  const when = format.dateTimeIn(since, app.community.timezone);
  return h(
    "div",
    { class: "job", "data-job": job.id, "data-status": job.status },
    h("span", { class: "job-dot", "aria-hidden": "true" }),
    h("strong", {}, label(job.kind)),
    h("span", { class: "muted" }, `${status} since ${when}`),
    h("progress", { max: 1, value: job.progress, "aria-label": `${label(job.kind)} progress` }),
    h("span", { class: "job-progress" }, format.rate(job.progress)),
  );
}

/** Starts watching jobs; ``changed`` runs when a watched job has ended. */
export function watchJobs(app: App, changed: () => void): () => void {
  let timer = 0;
  let watched = new Set<string>();
  let stopped = false;

  const poll = async () => {
    const { jobs } = await app.query<{ jobs: { edges: { node: Job }[] } }>(JOBS);
    if (stopped) return;
    const open = jobs.edges
      .map((e) => e.node)
      .filter((j) => j.status === "QUEUED" || j.status === "RUNNING");
    const panel = byId("jobs");
    panel.hidden = open.length === 0;
    fill(panel, ...open.map((job) => jobItem(app, job)));
    const ids = new Set(open.map((j) => j.id));
    if ([...watched].some((id) => !ids.has(id))) changed();
    watched = ids;
    if (open.length) timer = window.setTimeout(tick, POLL_MS);
  };
  const tick = () => void poll().catch(app.fail);

  tick();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
