#!/usr/bin/python3
"""Plots of an `iommusim sweep` and its report.md.

Reads OUT/results.json (written by `iommusim sweep`, which runs this script
at the end unless --no-plots) and writes into OUT:

  line_<column>.png     every column of the sweep's `plots.lines` against the
                        grid parameter `plots.x`: one panel per workload, one
                        line per value of the other grid parameters
  heatmap_<column>.png  for a two-parameter grid, every column of
                        `plots.heatmaps` over both parameters, one panel per
                        workload
  report.md             the sweep's parameters, the plots and a table of
                        every point

Units are converted for display: Tick (ps) to ns, Byte/Second to GB/s. A
parameter whose path ends in `ways` shows 0 as "full" (fully associative).

Usage: scripts/plot_sweep.py OUT [--wall-seconds S] [--points-run N] [--jobs J]
                              [--points-seconds S]
"""
import argparse
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

UNITS = {
    "Tick": (1e-3, "ns"),
    "Byte/Second": (1e-9, "GB/s"),
    "Second": (1e6, "us"),
}


def display(unit):
    """(scale, label) for a statistic's unit."""
    return UNITS.get(unit, (1.0, unit))


def value_label(path, value):
    if path.split(".")[-1] == "ways" and value == 0:
        return "full"
    return str(value)


def sort_key(path, value):
    """Numbers in order, then text; ways 0 (fully associative) last."""
    if path.split(".")[-1] == "ways" and value == 0:
        return (1, math.inf, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (2, 0, str(value))


def is_log2_axis(values):
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(nums) != len(values) or len(nums) < 3 or min(nums) <= 0:
        return False
    return max(nums) / min(nums) >= 16


def numeric(values):
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def fmt_value(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return "%.4g" % v
    return str(v)


def line_plots(res, out):
    x = res["plots"]["x"]
    if not x:
        return []
    params = res["parameters"]
    xvals = next(p["values"] for p in params if p["path"] == x)
    others = [p for p in params if p["path"] != x]
    workloads = res["workloads"]
    stats = {s["column"]: s for s in res["stats"]}
    files = []
    for column in res["plots"]["lines"]:
        scale, unit = display(stats[column]["unit"])
        fig, axes = plt.subplots(1, len(workloads), figsize=(4.2 * len(workloads), 3.6), squeeze=False)
        for ax, wl in zip(axes[0], workloads):
            series = {}
            for p in res["points"]:
                if p["workload"] != wl or p["status"] != "ok" or p["stats"].get(column) is None:
                    continue
                key = tuple(p["parameters"][o["path"]] for o in others)
                series.setdefault(key, []).append((p["parameters"][x], p["stats"][column] * scale))
            for key in sorted(series, key=lambda k: [sort_key(o["path"], v) for o, v in zip(others, k)]):
                pts = series[key]
                if numeric([v for v, _ in pts]):
                    pts.sort()
                label = ", ".join("%s=%s" % (o["path"].split(".")[-1], value_label(o["path"], v))
                                  for o, v in zip(others, key)) or None
                xs = [v for v, _ in pts]
                if not numeric(xs):
                    xs = [str(v) for v in xs]
                ax.plot(xs, [v for _, v in pts], marker="o", markersize=3, label=label)
            if numeric(xvals) and is_log2_axis(xvals):
                ax.set_xscale("log", base=2)
            ax.set_title(wl)
            ax.set_xlabel(x)
            ax.set_ylabel("%s (%s)" % (column, unit) if unit else column)
            ax.grid(True, alpha=0.3)
            if others and len(series) > 1:
                ax.legend(fontsize=7)
        fig.tight_layout()
        name = "line_%s.png" % column
        fig.savefig(os.path.join(out, name), dpi=90)
        plt.close(fig)
        files.append((name, "%s against %s" % (column, x)))
    return files


def heatmaps(res, out):
    params = res["parameters"]
    if len(params) != 2:
        return []
    x = res["plots"]["x"] or params[0]["path"]
    xp = next(p for p in params if p["path"] == x)
    yp = next(p for p in params if p["path"] != x)
    workloads = res["workloads"]
    stats = {s["column"]: s for s in res["stats"]}
    files = []
    for column in res["plots"]["heatmaps"]:
        scale, unit = display(stats[column]["unit"])
        fig, axes = plt.subplots(1, len(workloads), figsize=(4.6 * len(workloads), 3.8), squeeze=False)
        for ax, wl in zip(axes[0], workloads):
            grid = [[math.nan for _ in xp["values"]] for _ in yp["values"]]
            for p in res["points"]:
                v = p["stats"].get(column)
                if p["workload"] != wl or p["status"] != "ok" or v is None:
                    continue
                i = yp["values"].index(p["parameters"][yp["path"]])
                j = xp["values"].index(p["parameters"][x])
                grid[i][j] = v * scale
            im = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis")
            ax.set_xticks(range(len(xp["values"])))
            ax.set_xticklabels([value_label(x, v) for v in xp["values"]], rotation=90, fontsize=7)
            ax.set_yticks(range(len(yp["values"])))
            ax.set_yticklabels([value_label(yp["path"], v) for v in yp["values"]], fontsize=7)
            ax.set_xlabel(x)
            ax.set_ylabel(yp["path"])
            ax.set_title(wl)
            fig.colorbar(im, ax=ax, label="%s (%s)" % (column, unit) if unit else column)
        fig.tight_layout()
        name = "heatmap_%s.png" % column
        fig.savefig(os.path.join(out, name), dpi=90)
        plt.close(fig)
        files.append((name, "%s over %s and %s" % (column, x, yp["path"])))
    return files


def report(res, out, plots, args):
    points = res["points"]
    failed = [p for p in points if p["status"] != "ok"]
    lines = ["# Sweep report: %s" % res["sweep"], ""]
    lines.append("%d points (%d workloads x %d grid points), %d failed." % (
        len(points), len(res["workloads"]), len(points) // max(1, len(res["workloads"])), len(failed)))
    if args.wall_seconds is not None:
        lines.append("This invocation ran %s points in %.1f s of wall time with -j %s." % (
            args.points_run if args.points_run is not None else "?", args.wall_seconds,
            args.jobs if args.jobs is not None else "?"))
    if args.points_seconds is not None:
        lines.append("The points' own run times (wall time of each `iommusim run`) add up to %.1f s." % args.points_seconds)
    lines += ["", "| Grid parameter | Values |", "|---|---|"]
    for p in res["parameters"]:
        lines.append("| `%s` | %s |" % (p["path"], ", ".join(value_label(p["path"], v) for v in p["values"])))
    lines += ["", "Workloads: %s." % ", ".join("`%s`" % w for w in res["workloads"]), ""]
    lines += ["| Column | Statistic | Unit |", "|---|---|---|"]
    for s in res["stats"]:
        scale, unit = display(s["unit"])
        lines.append("| %s | `%s` | %s |" % (s["column"], s["stat"], unit + (" (converted from %s)" % s["unit"] if scale != 1.0 else "")))
    lines.append("")
    for name, title in plots:
        lines += ["## %s" % title, "", "![%s](%s)" % (title, name), ""]
    lines += ["## Points", ""]
    head = ["workload"] + [p["path"] for p in res["parameters"]] + ["status"] + [s["column"] for s in res["stats"]]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for p in points:
        row = [p["workload"]] + [value_label(k, p["parameters"][k]) for k in (q["path"] for q in res["parameters"])]
        row.append(p["status"])
        for s in res["stats"]:
            v = p["stats"].get(s["column"])
            scale, _ = display(s["unit"])
            row.append(fmt_value(v * scale if isinstance(v, (int, float)) and scale != 1.0 else v))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    with open(os.path.join(out, "report.md.tmp"), "w") as f:
        f.write("\n".join(lines))
    os.replace(os.path.join(out, "report.md.tmp"), os.path.join(out, "report.md"))


def main():
    ap = argparse.ArgumentParser(description="Plots and report.md of an iommusim sweep")
    ap.add_argument("out", help="the sweep's output folder (with results.json)")
    ap.add_argument("--wall-seconds", type=float)
    ap.add_argument("--points-run", type=int)
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--points-seconds", type=float)
    args = ap.parse_args()
    with open(os.path.join(args.out, "results.json")) as f:
        res = json.load(f)
    plots = line_plots(res, args.out) + heatmaps(res, args.out)
    report(res, args.out, plots, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
