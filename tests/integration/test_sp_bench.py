#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/sp-bench's issue-15 arithmetic, on fixed inputs: the nDPI floor's classification of
perf call chains (a libndpi frame anywhere in the chain makes the sample nDPI's, the worker's
samples picked by thread name), and the steady windows of the paired ceiling (testpmd's
stats samples and streamprobe's once-a-second counts: first and last partial intervals left
out). No process is run: `meson test -C build bench-parse`."""

import importlib.machinery
import importlib.util
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_bench():
    path = os.path.join(ROOT, "tools", "sp-bench")
    loader = importlib.machinery.SourceFileLoader("sp_bench", path)
    spec = importlib.util.spec_from_loader("sp_bench", loader)
    bench = importlib.util.module_from_spec(spec)
    loader.exec_module(bench)
    return bench


SP = "/work/x/build/app/streamprobe"
NDPI = "/usr/lib/x86_64-linux-gnu/libndpi.so.4.2.0"
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
EAL = "/usr/lib/x86_64-linux-gnu/librte_eal.so.23.0"
K = "[kernel.kallsyms]"
ROOT_FRAMES = [("3c251", "run_worker_reader", SP), ("f59c", "[unknown]", EAL),
               ("891f4", "start_thread", LIBC), ("1098eb", "clone3", LIBC)]


def sample(comm, frames, period=1001001, tid=29886):
    """One perf script -F comm,tid,period,ip,sym,dso block."""
    lines = ["%s %d    %d " % (comm, tid, period)]
    lines += ["\t%16s %s (%s)" % f for f in frames]
    return "\n".join(lines) + "\n"


class FloorClassify(unittest.TestCase):
    def setUp(self):
        self.b = load_bench()

    def test_chains(self):
        blocks = [
            # libc under nDPI under the probe: nDPI's (the libndpi frame is not the leaf)
            sample("rte-worker-1", [("c534d", "__tz_convert", LIBC),
                                    ("b2261", "processCertificate", NDPI),
                                    ("3e12a", "dpi_flow_update.lto_priv.0", SP),
                                    ("3baf6", "sp_worker_process_burst", SP)] + ROOT_FRAMES),
            # the kernel under nDPI's allocation: nDPI's, a kernel leaf
            sample("rte-worker-1", [("ffffffff8162e0df", "vma_expand", K),
                                    ("1019b3", "__mmap", LIBC),
                                    ("3d312", "sp_dpi_malloc", SP),
                                    ("d1c6a", "ndpi_realloc", NDPI),
                                    ("3baf6", "sp_worker_process_burst", SP)] + ROOT_FRAMES),
            # the probe's copy: libc's leaf, owned by capture_replay_rx
            sample("rte-worker-1", [("16d9be", "__memmove_avx512_unaligned_erms", LIBC),
                                    ("43230", "capture_replay_rx", SP),
                                    ("440ed", "sp_capture_rx", SP)] + ROOT_FRAMES),
            sample("rte-worker-1", [("16d9be", "__memmove_avx512_unaligned_erms", LIBC),
                                    ("43230", "capture_replay_rx", SP)] + ROOT_FRAMES),
            # the probe's own code, a page fault under it
            sample("rte-worker-1", [("3baf6", "sp_worker_process_burst", SP)] + ROOT_FRAMES),
            sample("rte-worker-1", [("ffffffff81001", "clear_page_erms", K),
                                    ("3e000", "sp_flow_lookup", SP),
                                    ("3baf6", "sp_worker_process_burst", SP)] + ROOT_FRAMES),
            # a chain cut short (no start_thread): counted, and said
            sample("rte-worker-1", [("c534d", "__vfprintf_internal", LIBC),
                                    ("c534e", "__vsnprintf_internal", LIBC)]),
            # other threads: not the worker's, left out whatever they hold
            sample("streamprobe", [("d1c6a", "ndpi_init_detection_module", NDPI)] +
                   ROOT_FRAMES, tid=29880),
            sample("sp-read-ahead", [("1000", "read", LIBC)], tid=29881),
            sample("lcore-worker-2", [("b2261", "processCertificate", NDPI)] + ROOT_FRAMES,
                   period=2000000, tid=29887),
        ]
        r = self.b.floor_classify("\n".join(blocks), "streamprobe")
        self.assertEqual(r["samples"], 8)
        self.assertEqual(r["ndpi"], 3)
        self.assertAlmostEqual(r["ratio"], 8 / 3)
        self.assertEqual(r["kernel"], 2)
        self.assertEqual(r["cut"], 1)
        # the two copies under capture_replay_rx are the input stage, still in the ratio
        self.assertEqual(r["input"], 2)
        self.assertAlmostEqual(r["ratio_no_input"], 6 / 3)
        self.assertEqual(r["period_ns"], 7 * 1001001 + 2000000)
        self.assertEqual(r["top_leaf"][0],
                         ("__memmove_avx512_unaligned_erms (libc.so.6)", 2))
        self.assertEqual(dict(r["top_leaf"]),
                         {"__memmove_avx512_unaligned_erms (libc.so.6)": 2,
                          "sp_worker_process_burst (streamprobe)": 1,
                          "clear_page_erms ([kernel.kallsyms])": 1,
                          "__vfprintf_internal (libc.so.6)": 1})
        self.assertEqual(dict(r["top_owner"]),
                         {"capture_replay_rx": 2, "sp_worker_process_burst": 1,
                          "sp_flow_lookup": 1,
                          "[none: __vfprintf_internal (libc.so.6)]": 1})

    def test_no_ndpi(self):
        r = self.b.floor_classify(sample("rte-worker-1", [("3baf6", "x", SP)] + ROOT_FRAMES),
                                  "streamprobe")
        self.assertEqual((r["samples"], r["ndpi"], r["ratio"]), (1, 0, None))
        self.assertEqual(self.b.floor_classify("", "streamprobe")["samples"], 0)


class Windows(unittest.TestCase):
    def setUp(self):
        self.b = load_bench()

    def test_testpmd(self):
        # the first print says 0 pps (no previous time), the first non-zero one is partial
        samples = [(0, 0, 0), (400, 800, 0), (1400, 1000, 0), (2900, 1500, 0),
                   (3900, 500, 0)]
        first, last, pk, span = self.b.testpmd_window(samples)
        self.assertEqual((first, last), (2, 4))
        self.assertEqual(pk, 3900 - 400)
        self.assertAlmostEqual(span, 1000 / 1000 + 1500 / 1500 + 1000 / 500)
        with self.assertRaises(RuntimeError):
            self.b.testpmd_window([(0, 0, 0), (400, 800, 0)])
        with self.assertRaises(RuntimeError):
            self.b.testpmd_window([(0, 0, 0), (400, 800, 0), (1400, 1000, 0), (1400, 0, 0),
                                   (1900, 500, 0)])

    def test_steady(self):
        # load (0), the feed starts within the 2nd second, stops within the 6th
        self.assertEqual(self.b.steady_window([0, 50, 150, 250, 330, 330]), (1, 3))
        self.assertEqual(self.b.steady_window([0, 0, 100, 200, 300]), (2, 3))
        # one partial interval only, or none at all: no window
        self.assertIsNone(self.b.steady_window([0, 100, 150, 150]))
        self.assertIsNone(self.b.steady_window([0, 0]))
        self.assertIsNone(self.b.steady_window([]))


class CpuGaps(unittest.TestCase):
    """The live section's CPU gap probe: a pinned busy loop's longest gap and counts."""

    def test_probe(self):
        b = load_bench()
        g = b.cpu_gaps(sorted(os.sched_getaffinity(0))[0], 0.2)
        self.assertEqual(set(g), {"max_ms", "over_1ms", "over_100us"})
        # a loop of clock reads: its longest gap is above zero and below the run itself
        self.assertGreater(g["max_ms"], 0)
        self.assertLess(g["max_ms"], 200)
        self.assertLessEqual(g["over_1ms"], g["over_100us"])

    def test_probe_other_busy(self):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest("one CPU")
        b = load_bench()
        g = b.cpu_gaps(cpus[0], 0.2, cpus[1])
        self.assertGreater(g["max_ms"], 0)
        self.assertLessEqual(g["over_1ms"], g["over_100us"])


if __name__ == "__main__":
    unittest.main()
