#!/usr/bin/python3
"""iommusim calibrate: fit a platform preset to pcie-bench measurements.

    iommusim calibrate DIR... --out OUT        (runs this script)
    /usr/bin/python3 scripts/calibrate.py --iommusim build/apps/iommusim DIR... --out OUT

Each DIR is one pcie-bench result folder of one host. Its IOMMU setting comes
from pcie-bench's folder naming: a name ending in `-iommu-nosp` was measured
with 4 KiB IOMMU pages only, one ending in `-iommu` with superpages allowed,
any other with the IOMMU off; `MODE:DIR` (MODE off, 4k or 2m) overrides it.

The method (docs/calibration.md):
  1. Start values come from the data by closed-form estimates (the IOMMU-off
     median latency, Little's law for the outstanding reads, the IOTLB reach
     from the knee of the latency curve), clamped to the physical ranges of
     PARAMS.
  2. Stage by stage, scipy.optimize.minimize (bounded Nelder-Mead on
     parameters scaled to [0, 1]) minimises the squared relative error of the
     simulated against the measured curves that stage's parameters affect;
     integer parameters (entries, slots, tags) are searched over their
     neighbours between two continuous fits.
  3. With the final parameters every measurement file is simulated in full
     (OUT/sim/<folder>/, pcie-bench's own format), and OUT/report.md gives
     the per-point error tables, the plots and the parameters.
The simulator runs through `iommusim pcie-bench`; nothing here models timing.
"""
import argparse
import copy
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import yaml
    from scipy.optimize import minimize
except ImportError as e:  # Debian: python3-scipy python3-yaml (scripts/setup)
    sys.exit(f"iommusim calibrate: error: {e}: install python3-scipy and python3-yaml (scripts/setup does)")


class CalibrationError(Exception):
    pass


# ---------------------------------------------------------------- parameters
#
# What is fitted: each a configuration key of the preset with its physical
# range (docs/calibration.md, "Parameters"). `stage`: off = fitted on the
# IOMMU-off folder, iommu = on the 4 KiB-page folder. `kind`: real or an
# integer searched over `choices`.
class Param:
    def __init__(self, name, keys, lo, hi, unit, stage, doc, choices=None, fitted=True):
        self.name, self.keys, self.lo, self.hi, self.unit = name, keys, lo, hi, unit
        self.stage, self.doc, self.choices = stage, doc, choices
        # fitted=False: its closed form from the data is final (the optimiser
        # leaves it alone), because the curve that shows it best is not the
        # one other unmodelled effects move.
        self.fitted = fitted


PARAMS = [
    # Stage "off": the IOMMU-off folder (and the Cold/HWarm states).
    Param("device_latency", ["DEVICE.request_latency_ns", "DEVICE.completion_latency_ns"], 20, 800, "ns", "off",
          "the device's DMA engine, request plus completion path (split evenly: only the sum is observable)"),
    Param("root_complex_latency", ["platform.root_complex.latency_cycles"], 5, 200, "ns (1 GHz cycles)", "off",
          "root port and IIO pipeline, each way"),
    Param("llc_hit_latency", ["platform.llc.hit_latency_ns"], 5, 150, "ns", "off",
          "IIO to an LLC slice and back, for a line in the LLC"),
    Param("llc_miss_latency", ["platform.llc.miss_latency_ns"], 0, 200, "ns", "off",
          "LLC miss: the home agent and memory-controller path added before DRAM"),
    Param("tags", ["DEVICE.tags"], 2, 256, "requests", "off",
          "the device's outstanding DMA reads", choices=list(range(2, 257))),
    Param("write_issue_cycles", ["DEVICE.write_issue_cycles"], 1, 200, "device cycles", "off",
          "the device's write path: cycles after a write TLP before the next", choices=list(range(1, 201))),
    Param("write_bytes_per_cycle", ["DEVICE.write_bytes_per_cycle"], 0, 64, "bytes/cycle", "off",
          "the device's write path: data width (0: no per-byte cost)", choices=[0, 4, 8, 16, 32, 64]),
    Param("copy_bytes_per_cycle", ["DEVICE.copy_bytes_per_cycle"], 1, 64, "bytes/cycle", "off",
          "the device's per-DMA data mover between device memory and the PCIe interface (the slope of "
          "latency over transfer size beyond the link's)"),
    # Stage "iommu": the 4 KiB-page folder.
    Param("walk_memory_latency", ["UNIT.memory_latency_ns"], 0, 600, "ns", "iommu",
          "the unit's uncore path per table read (round trip, beside the LLC or DRAM time)"),
    # The IOTLB's size comes from the one-outstanding latency curve alone
    # (start_values): there nothing but the IOTLB's hit rate moves the mean.
    # The throughput curves would pull it to absorb the read knee that the
    # model does not explain (docs/calibration.md, "Limits").
    Param("iotlb_entries", ["UNIT.iotlb.entries"], 16, 1024, "entries", "iommu",
          "IOTLB entries (8-way; from the latency curve's knee, not fitted)",
          choices=[16, 32, 64, 128, 256, 512, 1024], fitted=False),
    Param("pde_cache_entries", ["UNIT.psc.pde.entries"], 4, 256, "entries", "iommu",
          "paging-structure cache of page-directory entries (level 2; VT-d 6.2.4)",
          choices=[4, 8, 16, 32, 64, 128, 256]),
    Param("walker_slots", ["UNIT.walker_slots"], 1, 32, "walks", "iommu",
          "concurrent page walks", choices=list(range(1, 33))),
    Param("hit_under_miss", ["UNIT.ordering.non_posted.hit_under_miss"], 0, 64, "requests", "iommu",
          "reads of a device that may complete while one of its reads walks (-1: unlimited)",
          choices=[0, 1, 2, 4, 8, 16, 32, 64, -1]),
    Param("posted_hit_under_miss", ["UNIT.ordering.posted.hit_under_miss"], 0, 64, "requests", "iommu",
          "writes of a device that may complete while one of its writes walks (-1: unlimited)",
          choices=[0, 1, 2, 4, 8, 16, 32, 64, -1]),
]

# Stages whose integer parameters trade against their continuous ones (more
# walkers with longer walks give the same throughput and a longer latency):
# each integer candidate gets its own short continuous fit (a profile search)
# instead of being tried with the continuous values held.
PROFILE = {"iommu": True, "off": False}

# The curves each stage fits (file name, cache state), and the per-row
# quantities compared: latency rows the mean and the median, bandwidth rows Gb/s.
FIT_FILES = {
    "off": [("lat_dma_sweep_rd_rnd_64.txt", ("Cold", "HWarm")),
            ("bw_dma_win_sweep_rd_rnd_64.txt", ("Cold", "HWarm")),
            ("bw_dma_win_sweep_wr_rnd_64.txt", ("Cold",)),
            ("bw_dma_win_sweep_wr_rnd_128.txt", ("Cold",)),
            # The transfer-size slope (the device's data mover) and a write
            # followed by a read (PCIe ordering in the root complex).
            ("lat_dma_sizes.txt", ("HWarm",)),
            ("lat_dma_sweep_wrrd_rnd_64.txt", ("Cold", "HWarm"))],
    # Reads and writes: their ordering rules are separate parameters
    # (non-posted and posted), so the data can let writes translate ahead.
    "iommu": [("lat_dma_sweep_rd_rnd_64.txt", ("Cold",)),
              ("bw_dma_win_sweep_rd_rnd_64.txt", ("Cold",)),
              ("bw_dma_win_sweep_wr_rnd_64.txt", ("Cold",))],
}
REQUIRED = ["lat_dma_sweep_rd_rnd_64.txt", "bw_dma_win_sweep_rd_rnd_64.txt"]


def folder_mode(spec):
    if ":" in spec and spec.split(":", 1)[0] in ("off", "4k", "2m"):
        mode, path = spec.split(":", 1)
        return mode, path
    base = os.path.basename(os.path.normpath(spec))
    if base.endswith("-iommu-nosp"):
        return "4k", spec
    if base.endswith("-iommu"):
        return "2m", spec
    return "off", spec


def check_folder(path):
    if not os.path.isdir(path):
        raise CalibrationError(f"{path}: not a folder")
    for f in REQUIRED:
        p = os.path.join(path, f)
        if not os.path.isfile(p):
            raise CalibrationError(f"{p}: missing: a pcie-bench result folder has {', '.join(REQUIRED)}")
        with open(p, errors="replace") as fh:
            head = fh.readline()
        if "Test" not in head.split() or "WinSZ" not in head.split():
            raise CalibrationError(f"{p}:1: not pcie-bench output (expected a header naming Test ... WinSZ)")


def filtered_copy(src, dst, caches):
    """A copy of a pcie-bench file with only the rows of the given cache states
    (the header names the Cache column; other lines are copied as they are)."""
    with open(src, errors="replace") as fh:
        lines = fh.read().splitlines()
    cols = lines[0].split()
    if "Cache" not in cols:
        raise CalibrationError(f"{src}:1: no Cache column")
    ci = cols.index("Cache")
    out = [lines[0]]
    for ln in lines[1:]:
        f = ln.split()
        if not f:
            if out and out[-1].strip():
                out.append(ln)
            continue
        if len(f) > ci and f[ci] in caches:
            out.append(ln)
    while out and not out[-1].strip():
        out.pop()
    if len(out) < 2:
        raise CalibrationError(f"{src}: no rows with cache state {'/'.join(caches)}")
    with open(dst, "w") as fh:
        fh.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- running the simulator

def config_value(p, v):
    """A parameter's value as its configuration key takes it."""
    if p.name in ("hit_under_miss", "posted_hit_under_miss") and int(round(v)) < 0:
        return "unlimited"
    if p.choices or p.name == "root_complex_latency":
        return int(round(v))
    return float(v)


class Simulator:
    def __init__(self, binary, base_config, device, unit, jobs, lat_samples, bw_transactions, workdir, fixed):
        self.binary, self.base, self.device, self.unit = binary, base_config, device, unit
        self.fixed = fixed
        self.jobs, self.lat_samples, self.bw_transactions = jobs, lat_samples, bw_transactions
        self.workdir = workdir
        self.runs = 0

    def keys(self, p):
        return [k.replace("DEVICE.", f"{self.device}.").replace("UNIT.", f"{self.unit}.") for k in p.keys]

    def key(self, p):
        return ", ".join(self.keys(p))

    def assignments(self, values):
        """(configuration key, value) of every parameter in `values`."""
        out = []
        for p in PARAMS:
            if p.name not in values:
                continue
            v = config_value(p, values[p.name])
            for k in self.keys(p):
                out.append((k, v / len(p.keys) if isinstance(v, float) else v))
        return out

    def sets(self, values):
        out = []
        for s in self.fixed:
            out += ["--set", s]
        for k, v in self.assignments(values):
            out += ["--set", f"{k}={round(v, 3) if isinstance(v, float) else v}"]
        return out

    def run(self, values, mode, files, outdir, full=False):
        """Runs `iommusim pcie-bench` on `files`; returns compare.json."""
        if os.path.isdir(outdir):
            shutil.rmtree(outdir)
        cmd = [self.binary, "pcie-bench", self.base, *files, "--out", outdir, "--iommu", mode,
               "-j", str(self.jobs), "--device", self.device,
               "--lat-samples", str(self.lat_samples * (2 if full else 1)),
               "--bw-transactions", str(self.bw_transactions * (2 if full else 1)), *self.sets(values)]
        self.runs += 1
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            tail = "\n".join(r.stderr.strip().splitlines()[-15:])
            raise CalibrationError(f"iommusim pcie-bench failed (exit {r.returncode}):\n{tail}")
        with open(os.path.join(outdir, "compare.json")) as fh:
            return json.load(fh)


def row_errors(compare):
    """(label, measured, simulated) for every compared quantity of every row."""
    out = []
    for f in compare["files"]:
        for row in f["rows"]:
            if row.get("status") != "ok":
                continue
            m, s = row["measured"], row["simulated"]
            label = f"{os.path.basename(f['file'])} {row['cache']} {row['window']} {row['size']}"
            if "median_ns" in m:
                out.append((label + " median", m["median_ns"], s["median_ns"]))
                out.append((label + " mean", m["avg_ns"], s["avg_ns"]))
            elif "gbps" in m:
                out.append((label + " Gb/s", m["gbps"], s["gbps"]))
    return out


def cost(errs):
    r = np.array([(s - m) / m for _, m, s in errs if m > 0])
    return float(np.sum(r * r)), float(np.max(np.abs(r))) if len(r) else 0.0


# ---------------------------------------------------------------- start values from the data

def read_rows(path):
    """Rows of a pcie-bench file as dicts of the header's columns (strings)."""
    with open(path, errors="replace") as fh:
        lines = fh.read().splitlines()
    hdr = lines[0].replace("BW (GB/s)", "BW(GB/s)").split()
    rows = []
    for ln in lines[1:]:
        f = ln.split()
        if len(f) == len(hdr):
            rows.append(dict(zip(hdr, f)))
    return rows


def window_bytes(s):
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "B": 1}
    for u, m in units.items():
        if s.endswith(u) and u != "B":
            return float(s[:-len(u)]) * m
    return float(s.rstrip("B"))


def start_values(folders):
    """First guesses from the data by closed forms (docs/calibration.md, "Start values")."""
    v = {"device_latency": 300, "root_complex_latency": 40, "llc_hit_latency": 30, "llc_miss_latency": 30,
         "tags": 32, "write_issue_cycles": 1, "write_bytes_per_cycle": 0, "copy_bytes_per_cycle": 64,
         "walk_memory_latency": 150, "iotlb_entries": 64, "pde_cache_entries": 32,
         "walker_slots": 4, "hit_under_miss": -1, "posted_hit_under_miss": -1}
    off = folders.get("off") or folders.get("2m") or folders.get("4k")
    lat = read_rows(os.path.join(off, "lat_dma_sweep_rd_rnd_64.txt"))
    rd = read_rows(os.path.join(off, "bw_dma_win_sweep_rd_rnd_64.txt"))
    wr_file = os.path.join(off, "bw_dma_win_sweep_wr_rnd_64.txt")
    wr = read_rows(wr_file) if os.path.isfile(wr_file) else []

    def med(rows, cache, col, small=True):
        # The small-window rows: no IOMMU effect in any folder.
        xs = [float(r[col]) for r in rows if r["Cache"] == cache and window_bytes(r["WinSZ"]) <= (256 << 10)]
        return float(np.median(xs)) if xs else None

    lc, lh = med(lat, "Cold", "Med(ns)"), med(lat, "HWarm", "Med(ns)")
    bc, bh = med(rd, "Cold", "Trans/s"), med(rd, "HWarm", "Trans/s")
    if lc and lh and bc and bh and bh > bc and lc > lh:
        # Reads held by a tag for H (Cold) or H - (lc - lh) (HWarm): Little's
        # law T = rate x H in both states gives H and T.
        d = lc - lh
        h = d * bh / (bh - bc)
        v["tags"] = int(np.clip(round(bc * h * 1e-9), 2, 256))
        v["device_latency"] = float(np.clip(lc - h, 20, 800))
        v["llc_hit_latency"] = 30.0
        v["llc_miss_latency"] = float(np.clip(d - 10, 0, 200))
        # The host part H: the link both ways (~2 x 50 ns flight, ~10 ns of
        # serialization), the LLC miss path and DRAM (~30 ns), the root
        # complex each way.
        v["root_complex_latency"] = float(np.clip((h - 110 - v["llc_miss_latency"] - 30) / 2, 5, 200))
    # The device clock from the cycle and ns columns; the write gap from 64 B writes.
    clock = None
    for r in lat:
        if float(r["TAvg(ns)"]) > 0:
            clock = float(r["TAvg"]) / float(r["TAvg(ns)"]) * 1000
            if abs(clock - round(clock)) < 1e-3 * clock:
                clock = float(round(clock))
            break
    rate = med(wr, "Cold", "Trans/s")
    if clock and rate:
        v["write_issue_cycles"] = int(np.clip(round(clock * 1e6 / rate), 1, 200))
        # With 128 B writes too: gap = base + bytes / width; two sizes give both
        # (the width rounded to a power of two, a data path's width).
        wr128_file = os.path.join(off, "bw_dma_win_sweep_wr_rnd_128.txt")
        rate128 = med(read_rows(wr128_file), "Cold", "Trans/s") if os.path.isfile(wr128_file) else None
        if rate128:
            g64, g128 = clock * 1e6 / rate, clock * 1e6 / rate128
            if g128 > g64 + 0.5:
                width = 2 ** round(math.log2(64 / (g128 - g64)))
                width = min(PARAMS_BY["write_bytes_per_cycle"].choices[1:], key=lambda c: abs(c - width))
                v["write_bytes_per_cycle"] = width
                v["write_issue_cycles"] = int(np.clip(round(g64 - 64 / width), 1, 200))
    sizes_file = os.path.join(off, "lat_dma_sizes.txt")
    if clock and os.path.isfile(sizes_file):
        # The latency of one read grows with its size by the link's
        # serialization (about 0.14 ns/B on Gen3 x8 with 256 B completions)
        # and the device's per-DMA copy: the rest of the slope is 1/copy.
        rows = [r for r in read_rows(sizes_file) if r.get("Test") == "LAT_DMA_RD" and int(r["SZ"]) >= 64]
        if len(rows) >= 3:
            xs = np.array([float(r["SZ"]) for r in rows])
            ys = np.array([float(r["Med(ns)"]) for r in rows])
            slope = float(np.polyfit(xs, ys, 1)[0]) - 0.14
            if slope > 0:
                v["copy_bytes_per_cycle"] = float(np.clip(1.0 / (slope * clock * 1e-3), 1, 64))
    on = folders.get("4k")
    if on:
        lat = [r for r in read_rows(os.path.join(on, "lat_dma_sweep_rd_rnd_64.txt")) if r["Cache"] == "Cold"]
        if len(lat) >= 4:
            # Mean latency of random accesses over W pages with an E-entry
            # IOTLB: base + penalty * max(0, 1 - E / W). Fit E and penalty.
            ws = np.array([window_bytes(r["WinSZ"]) / 4096 for r in lat])
            ys = np.array([float(r["Avg(ns)"]) for r in lat])
            best = None
            for e in PARAMS_BY["iotlb_entries"].choices:
                miss = np.maximum(0.0, 1.0 - e / ws)
                a = np.vstack([np.ones_like(miss), miss]).T
                coef, *_ = np.linalg.lstsq(a, ys, rcond=None)
                err = float(np.sum((a @ coef - ys) ** 2))
                if best is None or err < best[0]:
                    best = (err, e, coef[1])
            v["iotlb_entries"] = best[1]
            # The penalty is one leaf read (the paging-structure caches hold the
            # upper levels): the unit's path plus an LLC-miss read.
            v["walk_memory_latency"] = float(np.clip(best[2] - v["llc_miss_latency"] - 60, 0, 600))
        bw = [r for r in read_rows(os.path.join(on, "bw_dma_win_sweep_rd_rnd_64.txt")) if r["Cache"] == "Cold"]
        if bw and lat:
            # Little's law again: walks in flight = miss rate x walk time.
            big = max(bw, key=lambda r: window_bytes(r["WinSZ"]))
            pen = float(lat[-1]["Med(ns)"]) - float(lat[0]["Med(ns)"])
            if pen > 0:
                v["walker_slots"] = int(np.clip(round(float(big["Trans/s"]) * pen * 1e-9), 1, 32))
    return v, clock


def cache_capacity(rows, state):
    """Bytes of the host cache that a warm state keeps, from the mean latency
    of one-outstanding reads (docs/calibration.md, "Start values"): in a
    window W larger than what is kept, a fraction C / W of the reads hit, so
    cold(W) - mean(W) = (C / W) (cold - warm) with cold - warm taken at the
    smallest window. Each window where that fraction is clearly between 0 and
    1 gives C; their median, or None when no window shows the edge."""
    def means(cache):
        return {window_bytes(r["WinSZ"]): float(r["Avg(ns)"]) for r in rows if r["Cache"] == cache}
    cold, warm = means("Cold"), means(state)
    if not cold or not warm:
        return None
    w0 = min(warm)
    if w0 not in cold or cold[w0] - warm[w0] < 10:  # the state does not differ from Cold
        return None
    est = []
    for w, m in sorted(warm.items()):
        # Against Cold at the same window: an IOMMU's miss penalty is in both.
        frac = (cold[w] - m) / (cold[w0] - warm[w0]) if w in cold else 1.0
        if 0.1 < frac < 0.8:
            est.append(w * frac)
    return float(np.median(est)) if est else None


def host_cache_from_data(folders, ways):
    """`--set` values of the LLC's size and DDIO ways that the data show
    (HWarm: what the CPU's fill keeps = the LLC; DWarm: what DDIO writes keep
    = ddio_ways of `ways`), from every folder's latency sweep."""
    llc, ddio = [], []
    for path in folders.values():
        f = os.path.join(path, "lat_dma_sweep_rd_rnd_64.txt")
        if not os.path.isfile(f):
            continue
        rows = read_rows(f)
        c = cache_capacity(rows, "HWarm")
        if c:
            llc.append(c)
        d = cache_capacity(rows, "DWarm")
        if d:
            ddio.append(d)
    out = {}
    if llc:
        line_set = ways * 64
        size = int(round(float(np.median(llc)) / line_set)) * line_set
        out["platform.llc.size"] = max(line_set, size)
        if ddio:
            out["platform.llc.ddio_ways"] = int(np.clip(round(ways * float(np.median(ddio)) / size), 1, ways))
    return out


PARAMS_BY = {p.name: p for p in PARAMS}


# ---------------------------------------------------------------- fitting

class Progress:
    def __init__(self, budget_s):
        self.t0 = time.time()
        self.budget = budget_s
        self.deadline = self.t0 + budget_s
        self.best = None

    def stage(self, share):
        """The next stage may use `share` of the time that is left."""
        self.deadline = time.time() + share * max(0.0, self.budget - (time.time() - self.t0))
        self.best = None

    def show(self, stage, n, c):
        if self.best is None or c < self.best:
            self.best = c
        el = time.time() - self.t0
        sys.stderr.write(f"\rcalibrate: {stage}: evaluation {n}, error {c:.4f} (best {self.best:.4f}), "
                         f"{int(el // 60)}m{int(el % 60):02d}s of at most {int(self.budget // 60)}m   ")
        sys.stderr.flush()

    def left(self):
        return self.deadline - time.time()


def fit_stage(sim, stage, mode, folder, values, progress, workdir, max_evals):
    names = [p.name for p in PARAMS if p.stage == stage and not p.choices and p.fitted]
    ints = [p.name for p in PARAMS if p.stage == stage and p.choices and p.fitted]
    files = []
    for f, caches in FIT_FILES[stage]:
        src = os.path.join(folder, f)
        if not os.path.isfile(src) and f not in REQUIRED:
            continue  # an optional curve this folder does not have
        dst = os.path.join(workdir, f"{stage}-{f}")
        filtered_copy(src, dst, caches)
        files.append(dst)
    n = [0]
    cache = {}
    best_seen = [None, dict(values)]  # the lowest cost evaluated, and its values

    def evaluate(vals):
        key = tuple(sorted((k, round(float(x), 2)) for k, x in vals.items()))
        if key in cache:
            return cache[key]
        cmp = sim.run(vals, mode, files, os.path.join(workdir, f"eval-{stage}"))
        c, _ = cost(row_errors(cmp))
        cache[key] = c
        if best_seen[0] is None or c < best_seen[0]:
            best_seen[0], best_seen[1] = c, dict(vals)
        n[0] += 1
        progress.show(stage, n[0], c)
        return c

    def continuous(vals, budget):
        if not names:
            return vals
        lo = np.array([PARAMS_BY[k].lo for k in names], float)
        hi = np.array([PARAMS_BY[k].hi for k in names], float)
        x0 = (np.array([vals[k] for k in names], float) - lo) / (hi - lo)

        def f(x):
            if progress.left() <= 0:
                raise TimeoutError
            v = dict(vals)
            v.update({k: lo[i] + float(np.clip(x[i], 0, 1)) * (hi[i] - lo[i]) for i, k in enumerate(names)})
            return evaluate(v)

        try:
            minimize(f, np.clip(x0, 0, 1), method="Nelder-Mead", bounds=[(0, 1)] * len(names),
                     options={"maxfev": budget, "xatol": 0.01, "fatol": 1e-4})
        except TimeoutError:
            pass
        return dict(best_seen[1])

    def discrete(vals):
        # Pattern search over each integer's choices: steps of 8, 4, 2, 1
        # positions around the current value while one improves.
        for k in ints:
            ch = PARAMS_BY[k].choices
            i = min(range(len(ch)), key=lambda j: abs(ch[j] - vals[k]))
            best = evaluate({**vals, k: ch[i]})
            for step in (8, 4, 2, 1):
                moved = True
                while moved and progress.left() > 0:
                    moved = False
                    for j in (i - step, i + step):
                        if 0 <= j < len(ch):
                            c = evaluate({**vals, k: ch[j]})
                            if c < best:
                                best, i, moved = c, j, True
            vals = {**vals, k: ch[i]}
        return vals

    def profile(vals):
        # For each integer, its neighbours (two positions each way), each with
        # a short continuous fit; keep the best.
        for k in ints:
            ch = PARAMS_BY[k].choices
            i = min(range(len(ch)), key=lambda j: abs(ch[j] - vals[k]))
            for j in range(max(0, i - 2), min(len(ch), i + 3)):
                if progress.left() <= 0:
                    break
                continuous({**vals, k: ch[j]}, max(4, max_evals // 6))
            vals = dict(best_seen[1])
        return vals

    values = discrete(values)
    values = continuous(values, max_evals)
    values = profile(values) if PROFILE.get(stage) else discrete(values)
    if progress.left() > 0:
        values = continuous(values, max_evals // 2)
    sys.stderr.write("\n")
    return dict(best_seen[1])


# ---------------------------------------------------------------- report

def write_report(out, folders, values, results, sim):
    lines = ["# Calibration report", "",
             "Generated by `iommusim calibrate` (scripts/calibrate.py; method in docs/calibration.md).", "",
             "## Fitted parameters", "", "| parameter | configuration key | value | unit | range | meaning |",
             "|---|---|---:|---|---|---|"]
    for p in PARAMS:
        if p.name in values:
            lines.append(f"| {p.name} | `{sim.key(p)}` | {values[p.name]:.3g} | {p.unit} | {p.lo}-{p.hi} | {p.doc} |")
    lines += ["", "## Error per curve", "",
              "Relative error of the simulated value (simulated / measured - 1) per file and cache state of "
              "each folder: the largest over its points and the mean of the absolute values (latency rows: "
              "median and mean; bandwidth rows: Gb/s).", "",
              "| folder | file | cache | points | max abs error | mean abs error |", "|---|---|---|---:|---:|---:|"]
    summary = []
    for mode, folder in folders.items():
        cmp = results[mode]
        name = os.path.basename(os.path.normpath(folder))
        for f in cmp["files"]:
            fname = os.path.basename(f["file"])
            caches = []
            for row in f["rows"]:
                if row.get("cache") not in caches:
                    caches.append(row.get("cache"))
            worst = 0.0
            for cache in caches:
                errs = row_errors({"files": [{**f, "rows": [r for r in f["rows"] if r.get("cache") == cache]}]})
                r = [abs(sim_v / m - 1) for _, m, sim_v in errs if m > 0]
                if not r:
                    continue
                lines.append(f"| {name} | {fname} | {cache} | {len(r)} | {100 * max(r):.1f} % | "
                             f"{100 * sum(r) / len(r):.1f} % |")
                worst = max(worst, max(r))
            summary.append((name, fname, worst))
    lines += ["", "## Plots", ""]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        os.makedirs(os.path.join(out, "plots"), exist_ok=True)
        for mode, folder in folders.items():
            name = os.path.basename(os.path.normpath(folder))
            for f in results[mode]["files"]:
                errs = row_errors({"files": [f]})
                if not errs:
                    continue
                fig, ax = plt.subplots(figsize=(7, 3.5))
                xs = range(len(errs))
                ax.plot(xs, [m for _, m, _ in errs], "o-", label="measured")
                ax.plot(xs, [s for _, _, s in errs], "x--", label="simulated")
                fname = os.path.basename(f["file"])
                ax.set_title(f"{name}: {fname}", fontsize=8)
                ax.set_xticks(list(xs))
                ax.set_xticklabels([lab.split(" ", 1)[1] for lab, _, _ in errs], rotation=90, fontsize=5)
                ax.legend(fontsize=7)
                fig.tight_layout()
                png = f"plots/{name}-{fname.replace('.txt', '')}.png"
                fig.savefig(os.path.join(out, png), dpi=110)
                plt.close(fig)
                lines.append(f"![{name} {fname}]({png})")
    except ImportError:
        lines.append("(matplotlib is not installed: no plots)")
    lines += ["", "## Every point", ""]
    for mode, folder in folders.items():
        name = os.path.basename(os.path.normpath(folder))
        lines += [f"### {name} ({mode})", "", "| point | measured | simulated | error |", "|---|---:|---:|---:|"]
        for lab, m, s in row_errors(results[mode]):
            lines.append(f"| {lab} | {m:.4g} | {s:.4g} | {100 * (s / m - 1):+.1f} % |")
        lines.append("")
    with open(os.path.join(out, "report.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return summary


def write_preset(out, base, values, sim):
    with open(base) as fh:
        doc = yaml.safe_load(fh)
    doc = copy.deepcopy(doc)
    header = ["# Platform preset fitted by `iommusim calibrate` (docs/calibration.md) from",
              *[f"#   {f}" for f in sim.folders],
              f"# starting from {os.path.basename(base)}. Fitted (value, unit, meaning):"]
    for p in PARAMS:
        if p.name in values:
            header.append(f"#   {p.name} = {values[p.name]:.4g} {p.unit}: {p.doc} ({sim.key(p)})")
    for d in getattr(sim, "derived", []):
        header.append(f"# From the warm states' latency rows (not fitted): {d}")
    for s in sim.fixed:
        k, v = s.split("=", 1)
        set_path(doc, k, yaml.safe_load(v))
    for k, v in sim.assignments(values):
        set_path(doc, k, round(v, 3) if isinstance(v, float) else v)
    with open(os.path.join(out, "preset.yaml"), "w") as fh:
        fh.write("\n".join(header) + "\n")
        yaml.safe_dump(doc, fh, sort_keys=False)


def set_path(doc, path, value):
    """Sets a dotted key as `--set` does: list elements by index or by name, a
    first component that is no section found by name anywhere."""
    parts = path.split(".")
    sections = ("simulation", "platform", "host", "workloads")
    node = doc
    if parts[0] not in sections:
        found = find_named(doc, parts[0])
        if found is None:
            raise CalibrationError(f"preset: no list element named '{parts[0]}' for {path}")
        node, parts = found, parts[1:]
    for i, k in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            el = node[int(k)] if k.isdigit() else next((e for e in node if isinstance(e, dict) and e.get("name") == k), None)
            if el is None:
                raise CalibrationError(f"preset: {path}: no element {k}")
            node = el
            continue
        if last:
            node[k] = value
        else:
            node = node.setdefault(k, {})


def find_named(node, name):
    if isinstance(node, dict):
        for v in node.values():
            r = find_named(v, name)
            if r is not None:
                return r
    elif isinstance(node, list):
        for e in node:
            if isinstance(e, dict) and e.get("name") == name:
                return e
            r = find_named(e, name)
            if r is not None:
                return r
    return None


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(prog="iommusim calibrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+", help="pcie-bench result folders of one host ([MODE:]DIR)")
    ap.add_argument("--out", required=True, help="output folder (preset.yaml, report.md, sim/)")
    ap.add_argument("--iommusim", required=True, help="the iommusim binary")
    ap.add_argument("--base", required=True, help="the platform preset to start from")
    ap.add_argument("--device", default="nic0")
    ap.add_argument("--unit", default="iommu0")
    ap.add_argument("--set", action="append", default=[], help="a fixed configuration value (key=value)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--budget-minutes", type=float, default=20.0, help="the fit stops after this (default 20)")
    ap.add_argument("--evaluations", type=int, default=60, help="continuous-fit simulations per stage (default 60)")
    ap.add_argument("--lat-samples", type=int, default=3000)
    ap.add_argument("--bw-transactions", type=int, default=20000)
    a = ap.parse_args()

    folders = {}
    for spec in a.dirs:
        mode, path = folder_mode(spec)
        check_folder(path)
        if mode in folders:
            raise CalibrationError(f"{path}: a second folder with the IOMMU {mode} "
                                   f"(after {folders[mode]}); give each setting once")
        folders[mode] = path
    for s in a.set:
        if "=" not in s:
            raise CalibrationError(f"--set {s}: expected key.path=value")
    if not os.path.isfile(a.base):
        raise CalibrationError(f"{a.base}: base preset not found")
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="calibrate-", dir=a.out)
    values, clock = start_values(folders)
    fixed = list(a.set)
    if clock:
        fixed.append(f"{a.device}.clock_mhz={clock:.1f}")
    # The LLC's size and DDIO ways from the warm states' rows, unless given.
    given = {s.split("=", 1)[0] for s in a.set}
    ways = next((int(s.split("=", 1)[1]) for s in a.set if s.startswith("platform.llc.ways=")), None)
    if ways is None:
        with open(a.base) as fh:
            ways = int(((yaml.safe_load(fh) or {}).get("platform", {}).get("llc") or {}).get("ways", 20))
    derived = []
    for k, v in host_cache_from_data(folders, ways).items():
        if k not in given:
            fixed.append(f"{k}={v}")
            derived.append(f"{k} = {v}")
            sys.stderr.write(f"calibrate: from the warm states' latency: {k} = {v}\n")
    # A private copy of the simulator: a rebuild of the tree during a fit
    # (which replaces the binary while the linker writes it) must not fail
    # the fit's runs.
    binary = os.path.join(work, "iommusim")
    try:
        shutil.copy2(a.iommusim, binary)
    except OSError as e:
        raise CalibrationError(f"{a.iommusim}: cannot copy the simulator into {work}: {e.strerror}")
    sim = Simulator(binary, a.base, a.device, a.unit, a.jobs, a.lat_samples, a.bw_transactions, work, fixed)
    sim.folders = [os.path.abspath(f) for f in folders.values()]
    sim.derived = derived
    progress = Progress(a.budget_minutes * 60)
    sys.stderr.write("calibrate: start values from the data: " +
                     ", ".join(f"{k} {v:.4g}" for k, v in values.items()) + "\n")

    first = "off" if "off" in folders else next(iter(folders))
    iommu = "4k" in folders or "2m" in folders
    progress.stage(0.4 if iommu else 1.0)
    values = fit_stage(sim, "off", first, folders[first], values, progress, work, a.evaluations)
    if "4k" in folders or "2m" in folders:
        mode = "4k" if "4k" in folders else "2m"
        progress.stage(1.0)
        values = fit_stage(sim, "iommu", mode, folders[mode], values, progress, work, a.evaluations)

    # The final simulation of every file of every folder.
    results = {}
    for mode, folder in folders.items():
        name = os.path.basename(os.path.normpath(folder))
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f in SIMULATED_FILES)
        dst = os.path.join(a.out, "sim", name)
        sys.stderr.write(f"calibrate: simulating {len(files)} files of {name}\n")
        results[mode] = sim.run(values, mode, files, dst, full=True)
        os.replace(os.path.join(dst, "compare.json"), os.path.join(a.out, f"compare-{name}.json"))
        shutil.rmtree(os.path.join(dst, "runs"), ignore_errors=True)
    write_preset(a.out, a.base, values, sim)
    summary = write_report(a.out, folders, values, results, sim)
    shutil.rmtree(work, ignore_errors=True)
    print(f"calibrate: {sim.runs} simulator runs in {time.time() - progress.t0:.0f} s; "
          f"wrote {a.out}/preset.yaml, {a.out}/report.md, {a.out}/sim/")
    for name, f, e in summary:
        print(f"  {name} {f}: max error {100 * e:.1f} %")


# The files the final step simulates (the ones `iommusim pcie-bench` runs).
SIMULATED_FILES = {
    "lat_dma_sweep_rd_rnd_64.txt", "lat_dma_sweep_wrrd_rnd_64.txt",
    "bw_dma_win_sweep_rd_rnd_64.txt", "bw_dma_win_sweep_rd_rnd_128.txt",
    "bw_dma_win_sweep_rd_rnd_256.txt", "bw_dma_win_sweep_rd_rnd_512.txt",
    "bw_dma_win_sweep_wr_rnd_64.txt", "bw_dma_win_sweep_wr_rnd_128.txt",
    "bw_dma_win_sweep_wr_rnd_256.txt", "bw_dma_win_sweep_wr_rnd_512.txt",
    "bw_dma_sz_sweep.txt", "lat_dma_sizes.txt",
}

if __name__ == "__main__":
    try:
        main()
    except CalibrationError as e:
        sys.exit(f"iommusim calibrate: error: {e}")
    except KeyboardInterrupt:
        sys.exit("iommusim calibrate: interrupted")
