#!/usr/bin/python3
"""Plots and tables of the two host-driver experiments (docs/experiments.md).

  scripts/plot_experiments.py REACH_OUT NIC_OUT IMAGE_DIR

REACH_OUT and NIC_OUT are the --out folders of
  iommusim sweep configs/sweeps/iotlb-reach.yaml
  iommusim sweep configs/sweeps/nic-strict-lazy.yaml
Writes iotlb_reach.png and nic_strict_lazy.png into IMAGE_DIR and prints
the Markdown tables of both experiments on stdout.
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows(folder):
    with open(os.path.join(folder, "results.csv"), newline="") as f:
        return [r for r in csv.DictReader(f) if r["status"] == "ok"]


def size_bytes(text):
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for suffix, mul in units.items():
        if text.endswith(suffix):
            return int(text[: -len(suffix)]) * mul
    return int(text)


def reach(folder, image_dir):
    data = {}
    for r in rows(folder):
        w = size_bytes(r["workloads.0.window"])
        data.setdefault(r["workload"], []).append(
            (w, float(r["bandwidth"]) / 1e9, float(r["dma_latency"]) / 1000, float(r["iotlb_hit_rate"]))
        )
    names = {"iommu_off": "IOMMU off", "pages_4k": "IOMMU on, 4 KiB pages", "pages_2m": "IOMMU on, 2 MiB pages"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in names.items():
        pts = sorted(data.get(key, []))
        xs = [p[0] / 1024 for p in pts]
        ax1.plot(xs, [p[1] for p in pts], marker="o", label=label)
        ax2.plot(xs, [p[2] for p in pts], marker="o", label=label)
    for ax, ylabel in ((ax1, "throughput (GB/s)"), (ax2, "mean DMA latency (ns)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("window (KiB)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("IOTLB reach: 64 B random DMA reads in a window (configs/sweeps/iotlb-reach.yaml)")
    fig.tight_layout()
    fig.savefig(os.path.join(image_dir, "iotlb_reach.png"), dpi=110)
    print("| window | off: GB/s | off: ns | 4 KiB: GB/s | 4 KiB: ns | 4 KiB: IOTLB hit rate | 2 MiB: GB/s | 2 MiB: ns | 2 MiB: IOTLB hit rate |")
    print("|---|---|---|---|---|---|---|---|---|")
    by = {k: {p[0]: p for p in v} for k, v in data.items()}
    for w in sorted(by.get("iommu_off", {})):
        o, a, b = by["iommu_off"][w], by["pages_4k"][w], by["pages_2m"][w]
        label = f"{w // (1 << 20)} MiB" if w >= (1 << 20) else f"{w // 1024} KiB"
        print(f"| {label} | {o[1]:.3f} | {o[2]:.1f} | {a[1]:.3f} | {a[2]:.1f} | {a[3]:.4f} | {b[1]:.3f} | {b[2]:.1f} | {b[3]:.4f} |")
    print()


def nic(folder, image_dir):
    data = {}
    for r in rows(folder):
        packets = float(r["packets"])
        inv = float(r["psi"]) + float(r["dsi"]) + float(r["global"])
        lookups = float(r["iotlb_hits"]) + float(r["iotlb_misses"])
        data.setdefault(r["workload"], []).append(
            (
                int(r["workloads.0.packet_size"]),
                packets / float(r["dma_span"]) / 1e6,
                inv / packets,
                float(r["iotlb_misses"]) / lookups if lookups else 0.0,
                float(r["map_time"]) / 1000,  # Ticks (ps) to ns
                float(r["unmap_time"]) / 1000,
            )
        )
    names = {"strict": "strict", "lazy": "lazy", "passthrough": "pass-through (iommu=pt)", "iommu_off": "IOMMU off"}
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for key, label in names.items():
        pts = sorted(data.get(key, []))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    sizes = sorted({p[0] for v in data.values() for p in v})
    ax.plot(sizes, [10e9 / ((s + 20) * 8) / 1e6 for s in sizes], linestyle="--", color="grey", label="10 GbE line rate")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("packet size (bytes)")
    ax.set_ylabel("packets per second (millions)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title("Per-packet map/unmap: strict, lazy, pass-through")
    fig.tight_layout()
    fig.savefig(os.path.join(image_dir, "nic_strict_lazy.png"), dpi=110)
    print("| mode | packet size | Mpps | line rate Mpps | invalidations per packet | IOTLB miss rate | map ns | unmap ns |")
    print("|---|---|---|---|---|---|---|---|")
    for key, label in names.items():
        for p in sorted(data.get(key, [])):
            line = 10e9 / ((p[0] + 20) * 8) / 1e6
            print(f"| {label} | {p[0]} | {p[1]:.3f} | {line:.3f} | {p[2]:.4f} | {p[3]:.3f} | {p[4]:.0f} | {p[5]:.0f} |")
    print()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    os.makedirs(sys.argv[3], exist_ok=True)
    reach(sys.argv[1], sys.argv[3])
    nic(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
