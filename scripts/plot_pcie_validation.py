#!/usr/bin/python3
"""Plots the PCIe link validation against pcie-bench's model.

Reads the CSV written by the test "validation: pcie validation: link bandwidth
within 2% of pcie-bench's model" (build/tb/pcie_validation.csv, columns config,
op, size, dllp_direction, reference_gbps, simulated_gbps, diff_percent) and
writes a PNG: one panel per link configuration, effective bandwidth against
transfer size for reads, writes and concurrent reads and writes; lines are the
reference model, markers the simulated link (dllp_direction: same), crosses
the simulated link with dllp_direction: opposite.

With --table, also prints the comparison as Markdown tables (for
docs/validation.md).

Usage: scripts/plot_pcie_validation.py CSV PNG [--table]
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TITLES = {
    "gen3_x8_mps128": "Gen3 x8, MPS 128, MRRS 512",
    "gen3_x8_mps256": "Gen3 x8, MPS 256, MRRS 512",
    "gen4_x16_mps256": "Gen4 x16, MPS 256, MRRS 512",
}
OPS = [("read", "read", "tab:blue"), ("write", "write", "tab:red"),
       ("read_write", "read + write", "tab:green")]


def load(path):
    data = defaultdict(list)  # (config, op, dir) -> [(size, ref, sim, diff)]
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            data[(r["config"], r["op"], r["dllp_direction"])].append(
                (int(r["size"]), float(r["reference_gbps"]), float(r["simulated_gbps"]),
                 float(r["diff_percent"])))
    for v in data.values():
        v.sort()
    return data


def plot(data, png):
    configs = [c for c in TITLES if any(k[0] == c for k in data)]
    fig, axes = plt.subplots(1, len(configs), figsize=(5.2 * len(configs), 4.4), squeeze=False)
    for ax, cfg in zip(axes[0], configs):
        for op, label, color in OPS:
            same = data.get((cfg, op, "same"), [])
            opp = data.get((cfg, op, "opposite"), [])
            if not same:
                continue
            sizes = [p[0] for p in same]
            ax.plot(sizes, [p[1] for p in same], "-", color=color, label=f"{label}: pcie-bench model")
            ax.plot(sizes, [p[2] for p in same], "o", color=color, markersize=4,
                    label=f"{label}: simulated")
            if opp:
                ax.plot([p[0] for p in opp], [p[2] for p in opp], "x", color=color, markersize=4,
                        alpha=0.6, label=f"{label}: simulated, DLLPs opposite")
        ax.set_xscale("log", base=2)
        ax.set_xticks([64, 128, 256, 512, 1024, 2048, 4096])
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("transfer size (bytes)")
        ax.set_ylabel("effective bandwidth (Gb/s)")
        ax.set_title(TITLES[cfg])
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def table(data):
    for cfg, title in TITLES.items():
        rows = defaultdict(dict)
        for op, _, _ in OPS:
            for size, ref, sim, diff in data.get((cfg, op, "same"), []):
                rows[size][op] = (ref, sim, diff)
            for size, ref, sim, diff in data.get((cfg, op, "opposite"), []):
                rows[size][op + "_opp"] = diff
        if not rows:
            continue
        print(f"\n**{title}** (Gb/s; diff = simulated / model - 1; last three columns:"
              " the difference with `dllp_direction: opposite`)\n")
        print("| size (B) | read model | read sim | diff | write model | write sim | diff "
              "| r+w model | r+w sim | diff | read opp. | write opp. | r+w opp. |")
        print("|---:" * 13 + "|")
        for size in sorted(rows):
            r = rows[size]
            cells = [str(size)]
            for op, _, _ in OPS:
                ref, sim, diff = r[op]
                cells += [f"{ref:.2f}", f"{sim:.2f}", f"{diff:+.3f} %"]
            for op, _, _ in OPS:
                cells.append(f"{r.get(op + '_opp', float('nan')):+.2f} %")
            print("| " + " | ".join(cells) + " |")
        worst = max(abs(v[2]) for r in rows.values() for k, v in r.items() if not k.endswith("_opp"))
        print(f"\nLargest difference: {worst:.3f} %.")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    data = load(argv[1])
    plot(data, argv[2])
    if "--table" in argv[3:]:
        table(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
