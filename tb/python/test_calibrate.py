"""Unit tests of scripts/calibrate.py's own logic (no simulator runs): the
folder naming rule, the row filter, the preset writer's key paths, the
closed-form start values, and the cost of a comparison."""
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "scripts"))
import calibrate as c  # noqa: E402

DATA = os.path.join(SOURCE, "tb", "data", "pcie-bench")


class FolderMode(unittest.TestCase):
    def test_suffixes(self):
        self.assertEqual(c.folder_mode("x/nfp_host-iommu-nosp"), ("4k", "x/nfp_host-iommu-nosp"))
        self.assertEqual(c.folder_mode("x/nfp_host-iommu/"), ("2m", "x/nfp_host-iommu/"))
        self.assertEqual(c.folder_mode("x/nfp_host"), ("off", "x/nfp_host"))
        self.assertEqual(c.folder_mode("4k:x/nfp_host"), ("4k", "x/nfp_host"))

    def test_bad_folder(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(c.CalibrationError, "lat_dma_sweep_rd_rnd_64.txt: missing"):
                c.check_folder(d)
            for f in c.REQUIRED:
                with open(os.path.join(d, f), "w") as fh:
                    fh.write("hello world\n")
            with self.assertRaisesRegex(c.CalibrationError, r"lat_dma_sweep_rd_rnd_64.txt:1: not pcie-bench output"):
                c.check_folder(d)
        with self.assertRaisesRegex(c.CalibrationError, "not a folder"):
            c.check_folder("/nonexistent/folder")


class Filter(unittest.TestCase):
    def test_keeps_header_and_the_states_rows(self):
        with tempfile.TemporaryDirectory() as d:
            dst = os.path.join(d, "f.txt")
            c.filtered_copy(os.path.join(DATA, "lat_dma_sweep_rd_rnd_64.txt"), dst, ("Cold",))
            rows = c.read_rows(dst)
            self.assertEqual(len(rows), 12)
            self.assertTrue(all(r["Cache"] == "Cold" for r in rows))
            with self.assertRaisesRegex(c.CalibrationError, "no rows with cache state Warm"):
                c.filtered_copy(os.path.join(DATA, "lat_dma_sweep_rd_rnd_64.txt"), dst, ("Warm",))


class Preset(unittest.TestCase):
    def test_set_path_like_set(self):
        doc = {"platform": {"endpoints": [{"name": "nic0", "tags": 8}], "iommus": [{"name": "iommu0"}]}}
        c.set_path(doc, "nic0.tags", 24)
        c.set_path(doc, "iommu0.psc.pde.entries", 32)
        c.set_path(doc, "platform.root_complex.inbound.posted", 40)
        c.set_path(doc, "platform.endpoints.0.request_latency_ns", 80.5)
        self.assertEqual(doc["platform"]["endpoints"][0], {"name": "nic0", "tags": 24, "request_latency_ns": 80.5})
        self.assertEqual(doc["platform"]["iommus"][0]["psc"], {"pde": {"entries": 32}})
        self.assertEqual(doc["platform"]["root_complex"], {"inbound": {"posted": 40}})
        with self.assertRaisesRegex(c.CalibrationError, "no list element named 'nvme9'"):
            c.set_path(doc, "nvme9.tags", 1)

    def test_device_latency_is_split_over_its_two_keys(self):
        sim = c.Simulator("iommusim", "b.yaml", "nic0", "iommu0", 1, 10, 10, "/tmp", [])
        a = dict(sim.assignments({"device_latency": 300.0, "tags": 23.6, "hit_under_miss": -1,
                                  "posted_hit_under_miss": 8}))
        self.assertEqual(a["nic0.request_latency_ns"], 150.0)
        self.assertEqual(a["nic0.completion_latency_ns"], 150.0)
        self.assertEqual(a["nic0.tags"], 24)
        self.assertEqual(a["iommu0.ordering.non_posted.hit_under_miss"], "unlimited")
        self.assertEqual(a["iommu0.ordering.posted.hit_under_miss"], 8)


class StartValues(unittest.TestCase):
    def test_littles_law_on_the_shared_sample(self):
        # tb/data/pcie-bench holds Haswell's IOMMU-off latency and read sweeps:
        # Cold median 600 ns, HWarm 546 ns; 64 B reads at ~54.9 and ~63.9 M/s.
        v, clock = c.start_values({"off": DATA})
        self.assertEqual(clock, 1200.0)
        d = 600 - 546
        self.assertGreater(v["tags"], 15)
        self.assertLess(v["tags"], 30)
        h = 600 - v["device_latency"]
        self.assertAlmostEqual(v["tags"], round(54.97e6 * h * 1e-9), delta=1)
        self.assertGreater(h, d)


    def test_copy_rate_from_the_size_slope(self):
        # A read's median latency rising 0.34 ns a byte, 0.14 of it the link:
        # the device copies 1 / (0.20 ns/B x 1.2 cycles/ns) = 4.1667 B/cycle.
        with tempfile.TemporaryDirectory() as d:
            for f in os.listdir(DATA):
                shutil.copy(os.path.join(DATA, f), d)
            hdr = ("Test PAT Cache HO DO WinSZ SZ TAvg Avg Med Min Max 95% 99.9% TAvg(ns) Avg(ns) Med(ns) "
                   "Min(ns) Max(ns) 95%(ns) 99.9%(ns) #outliers #samples")
            with open(os.path.join(d, "lat_dma_sizes.txt"), "w") as fh:
                fh.write(hdr + "\n")
                for sz in (4, 64, 256, 1024, 2048):
                    med = 600 + 0.34 * max(sz - 64, 0)
                    fh.write(f"LAT_DMA_RD Rand HWarm 0 0 8KB {sz} 0 0 0 0 0 0 0 0 {med} {med} 0 0 0 0 0 1000\n")
                    fh.write(f"LAT_DMA_WRRD Rand HWarm 0 0 8KB {sz} 0 0 0 0 0 0 0 0 {med + 900} {med + 900} "
                             "0 0 0 0 0 1000\n")
            v, _ = c.start_values({"off": d})
            self.assertAlmostEqual(v["copy_bytes_per_cycle"], 1 / (0.20 * 1.2), places=6)
        # Without the file: the upper bound (no copy cost to speak of).
        v, _ = c.start_values({"off": DATA})
        self.assertEqual(v["copy_bytes_per_cycle"], 64)


    def test_host_cache_from_the_warm_states(self):
        # Haswell's HWarm mean latency rises at 32 and 64 MiB windows: a
        # fraction C / W of the reads still hit, C = W (cold - mean) / (cold -
        # warm) at each = 15.40 MB (the part's 15 MB "Smart Cache"); its
        # DWarm rows equal Cold, so the DDIO ways stay as the base preset has them.
        got = c.host_cache_from_data({"off": DATA}, 20)
        self.assertEqual(got, {"platform.llc.size": 12035 * 20 * 64})
        # A DWarm edge: warm 500 ns, cold 600; 2 MiB kept of 4 and 8 MiB
        # windows (550, 575 ns) with a 16 MiB LLC of 16 ways: 2 ways.
        rows = []
        for w, hw, dw in ((1, 500, 500), (4, 500, 550), (8, 500, 575), (32, 550, 600), (64, 575, 600)):
            for cache, v in (("Cold", 600), ("HWarm", hw), ("DWarm", dw)):
                rows.append({"Cache": cache, "WinSZ": f"{w}MB", "Avg(ns)": str(v)})
        self.assertEqual(c.cache_capacity(rows, "HWarm"), 16 << 20)
        self.assertEqual(c.cache_capacity(rows, "DWarm"), 2 << 20)


class Cost(unittest.TestCase):
    def test_relative_errors(self):
        cmp = {"files": [{"file": "/x/lat.txt", "rows": [
            {"status": "ok", "cache": "Cold", "window": 8192, "size": 64,
             "measured": {"median_ns": 600, "avg_ns": 600}, "simulated": {"median_ns": 630, "avg_ns": 570}},
            {"status": "skipped", "cache": "Cold", "window": 8192, "size": 64, "measured": {}, "simulated": {}},
            {"status": "ok", "cache": "Cold", "window": 8192, "size": 64,
             "measured": {"gbps": 20.0}, "simulated": {"gbps": 22.0}}]}]}
        errs = c.row_errors(cmp)
        self.assertEqual([e[0] for e in errs], ["lat.txt Cold 8192 64 median", "lat.txt Cold 8192 64 mean",
                                                "lat.txt Cold 8192 64 Gb/s"])
        total, worst = c.cost(errs)
        self.assertAlmostEqual(total, 0.05 ** 2 * 2 + 0.1 ** 2)
        self.assertAlmostEqual(worst, 0.1)


if __name__ == "__main__":
    unittest.main()
