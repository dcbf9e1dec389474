// The monthly active customers chart: stacked bars of active and inactive
// customers (left axis), and the active rate as a line (right axis, percent).

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type TooltipItem,
} from "chart.js";
import type { Month } from "./api";
import * as format from "./format";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

type Kind = "bar" | "line";
type Data = ChartData<Kind, (number | null)[], string>;

const COLORS = { active: "#2f6fed", inactive: "#d5dbe5", rate: "#0f8a7e", text: "#5b6474" };

let chart: Chart<Kind, (number | null)[], string> | null = null;

function data(months: Month[]): Data {
  return {
    labels: months.map((m) => format.month(m.month)),
    datasets: [
      {
        type: "line",
        label: "Active rate",
        data: months.map((m) => (m.activeRate === null ? null : m.activeRate * 100)),
        yAxisID: "rate",
        borderColor: COLORS.rate,
        backgroundColor: COLORS.rate,
        borderWidth: 2.5,
        pointRadius: 3.5,
        pointHoverRadius: 5,
        tension: 0.3,
        order: 0,
      },
      {
        type: "bar",
        label: "Active customers",
        data: months.map((m) => m.activeCustomers),
        yAxisID: "customers",
        backgroundColor: COLORS.active,
        borderRadius: 3,
        maxBarThickness: 36,
        order: 1,
      },
      {
        type: "bar",
        label: "Inactive customers",
        data: months.map((m) => m.inactiveCustomers),
        yAxisID: "customers",
        backgroundColor: COLORS.inactive,
        borderRadius: 3,
        maxBarThickness: 36,
        order: 2,
      },
    ],
  };
}

function tooltipLabel(item: TooltipItem<Kind>): string {
  const value = item.parsed.y;
  if (value === null) return `${item.dataset.label}: —`;
  const text = item.dataset.yAxisID === "rate" ? format.rate(value / 100) : format.count(value);
  return `${item.dataset.label}: ${text}`;
}

function create(canvas: HTMLCanvasElement, months: Month[]) {
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = COLORS.text;
  return new Chart<Kind, (number | null)[], string>(canvas, {
    type: "bar",
    data: data(months),
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: still ? false : { duration: 350 },
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false } },
        customers: {
          type: "linear",
          position: "left",
          stacked: true,
          beginAtZero: true,
          grace: "8%",
          title: { display: true, text: "Customers" },
          ticks: { precision: 0, callback: (v) => format.count(Number(v)) },
        },
        rate: {
          type: "linear",
          position: "right",
          min: 0,
          max: 100,
          title: { display: true, text: "Active rate" },
          grid: { drawOnChartArea: false },
          ticks: { stepSize: 25, callback: (v) => format.rate(Number(v) / 100) },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true, boxHeight: 8 } },
        tooltip: { callbacks: { label: tooltipLabel } },
      },
    },
  });
}

/** Draw ``months`` on ``canvas``, reusing the chart when there is one. */
export function drawMonths(canvas: HTMLCanvasElement, months: Month[]): void {
  if (chart === null) {
    chart = create(canvas, months);
  } else {
    chart.data = data(months);
    chart.update();
  }
  const rates = months.map((m) => `${format.month(m.month)} ${format.rate(m.activeRate)}`);
  canvas.setAttribute(
    "aria-label",
    `Monthly active customers rate by month: ${rates.join(", ")}. The table below has all numbers.`,
  );
}
