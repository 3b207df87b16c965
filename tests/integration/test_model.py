#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The model plugin against scikit-learn and XGBoost themselves.

    /usr/bin/python3 tests/integration/test_model.py Generated   captures of tools/sp-genpcap.py
    /usr/bin/python3 tests/integration/test_model.py Corpus      corpus captures (77 without it)

Each class:
- runs streamprobe on its captures (--statistical-analysis, --splt-analysis, nDPI, and the
  cols fixture plugin for numeric udps columns) and reads the CSV;
- trains every supported kind on those flows' features (core columns, SPLT positions,
  nDPI's numeric columns, another plugin's columns): decision tree, random forest, extra
  trees, gradient boosting (binary and multiclass) classifiers, tree, forest and
  boosting regressors, XGBoost binary and multiclass (Booster.save_model JSON);
- exports each with tools/sp-model-export and runs them side by side
  (--plugin model:file=...,name=...), then checks, for 100 % of the flows, that the
  label equals the library's predict() and the probability (or score) is within 1e-9
  (XGBoost: 1e-6) of predict_proba();
- at=N: trains on the flows of a --plugin slicer:limit=N run (core and SPLT features),
  runs the models with at=N on the uncut flows and checks each flow's prediction
  equals the library's on the slicer's flow with the same key and first packet time.
Generated also checks split thresholds a hair either side of a float32 value (le, lt), and
the plugin's refusals (at=N with an nDPI feature, a feature the
run does not have, a bad file) through the app.

Debian's python3-sklearn, python3-xgboost, python3-pandas: /usr/bin/python3.
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sp_accounting import check_accounting  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STREAMPROBE", os.path.join(ROOT, "build", "app", "streamprobe"))
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(BIN)))
FIX = os.environ.get("SP_PLUGIN_FIXTURES", os.path.join(BUILD, "tests"))
CORPUS = os.environ.get("SP_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")
EXPORT = os.path.join(ROOT, "tools", "sp-model-export")
GENPCAP = os.path.join(ROOT, "tools", "sp-genpcap.py")
PY = "/usr/bin/python3"

try:
    import importlib.machinery
    import importlib.util
    import numpy as np
    import pandas as pd
    import joblib
    import xgboost as xgb
    from sklearn import ensemble, tree
    HAVE_LIBS = True
    _loader = importlib.machinery.SourceFileLoader("sp_model_export", EXPORT)
    EXPORTER = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("sp_model_export", _loader))
    _loader.exec_module(EXPORTER)
except ImportError as e:  # reported as a skip by __main__
    HAVE_LIBS = str(e)

SPLT = 4
CORE = ["src_port", "dst_port", "bidirectional_packets", "bidirectional_bytes",
        "src2dst_packets", "src2dst_bytes", "dst2src_packets", "dst2src_bytes",
        "bidirectional_duration_ms", "bidirectional_min_ps", "bidirectional_mean_ps",
        "bidirectional_stddev_ps", "bidirectional_max_ps", "src2dst_mean_piat_ms",
        "dst2src_stddev_piat_ms", "bidirectional_syn_packets", "bidirectional_ack_packets",
        "dst2src_psh_packets", "splt_ps[0]", "splt_ps[1]", "splt_ps[3]", "splt_piat_ms[1]",
        "splt_piat_ms[3]", "splt_direction[1]", "splt_direction[2]"]
# nDPI's numeric columns and the cols fixture's (tests/plugins/cols.c)
END = CORE + ["application_is_guessed", "application_confidence", "udps.mean_size",
              "udps.bytes"]
KEY = ["src_ip", "src_port", "dst_ip", "dst_port", "protocol", "vlan_id", "tunnel_id",
       "bidirectional_first_seen_ms"]
AT = 4


def read_csv(path):
    # round_trip: the floats as Python wrote them, to the last bit
    # docs/csv.md's one-line reader (no string here ends in a backslash)
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read().replace('\\"', '""')
    df = pd.read_csv(io.StringIO(text), float_precision="round_trip",
                     keep_default_na=False, na_values=[""])
    for col in ("splt_ps", "splt_piat_ms", "splt_direction"):
        if col in df.columns:
            vals = [json.loads(v) for v in df[col]]
            for i in range(SPLT):
                df["%s[%d]" % (col, i)] = [v[i] for v in vals]
    return df


class Base:
    pcaps = []

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sp-model-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def sp(self, extra, name):
        out = os.path.join(self.tmp, name + ".csv")
        args = [BIN]
        for p in self.pcaps:
            args += ["--pcap", p]
        args += ["--csv", out, "--statistical-analysis", "--splt-analysis", str(SPLT)] + extra
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        check_accounting(p.stderr)
        return read_csv(out), p.stderr

    def export(self, model, name, features=None, classes=None, json_model=False):
        src = os.path.join(self.tmp, name + (".json" if json_model else ".joblib"))
        if json_model:
            model.save_model(src)
        else:
            joblib.dump(model, src)
        dst = os.path.join(self.tmp, name + ".spm")
        args = [src, "-o", dst]
        if features:
            args += ["--features", ",".join(features)]
        if classes:
            args += ["--classes", ",".join(classes)]
        # the tool's main() in this process: a python start a model costs seconds
        EXPORTER.main(args)
        return dst

    def train(self, df, y, yr, features, xfeatures):
        """Every kind on (features, y) and (features, yr), XGBoost on xfeatures (which may
        hold None values: its missing values): name -> (predict, proba/score, tol, path,
        the feature columns)."""
        X = df[features].to_numpy(dtype=np.float64)
        Xx = df[xfeatures].to_numpy(dtype=np.float64)
        classes = sorted(set(y))
        self.assertGreaterEqual(len(classes), 3, "the captures give too few labels")
        top = pd.Series(y).value_counts().index[0]
        yb = np.array([1 if v == top else 0 for v in y])
        Xdf = pd.DataFrame(X, columns=features)
        ms = {}
        kw = dict(random_state=1)
        # one fitted on a DataFrame: the exporter takes its names from feature_names_in_
        dt = tree.DecisionTreeClassifier(max_depth=8, **kw).fit(Xdf, y)
        ms["dt"] = (lambda Z, m=dt: m.predict(pd.DataFrame(Z, columns=features)),
                    lambda Z, m=dt: m.predict_proba(pd.DataFrame(Z, columns=features)),
                    1e-9, self.export(dt, "dt"), features)
        for name, m in [
                ("rf", ensemble.RandomForestClassifier(n_estimators=15, max_depth=10, **kw)),
                ("et", ensemble.ExtraTreesClassifier(n_estimators=15, max_depth=10, **kw)),
                ("gb", ensemble.GradientBoostingClassifier(n_estimators=12, max_depth=3,
                                                           **kw))]:
            m.fit(X, y)
            ms[name] = (m.predict, m.predict_proba, 1e-9, self.export(m, name, features),
                        features)
        gbb = ensemble.GradientBoostingClassifier(n_estimators=12, max_depth=3, **kw)
        gbb.fit(X, yb)
        ms["gbb"] = (gbb.predict, gbb.predict_proba, 1e-9, self.export(gbb, "gbb", features),
                     features)
        for name, m in [("dtr", tree.DecisionTreeRegressor(max_depth=8, **kw)),
                        ("rfr", ensemble.RandomForestRegressor(n_estimators=10, max_depth=8,
                                                               **kw)),
                        ("gbr", ensemble.GradientBoostingRegressor(n_estimators=12,
                                                                   max_depth=3, **kw))]:
            m.fit(X, yr)
            ms[name] = (m.predict, None, 1e-9, self.export(m, name, features), features)
        # XGBoost: the Booster's own JSON
        enc = {c: i for i, c in enumerate(classes)}
        d = xgb.DMatrix(Xx, label=yb)
        b = xgb.train({"objective": "binary:logistic", "max_depth": 4, "eta": 0.3,
                       "nthread": 1}, d, num_boost_round=12)
        ms["xgbb"] = (lambda Z, b=b: (b.predict(xgb.DMatrix(Z)) > 0.5).astype(int),
                      lambda Z, b=b: np.stack([1 - b.predict(xgb.DMatrix(Z)),
                                               b.predict(xgb.DMatrix(Z))], axis=1),
                      1e-6, self.export(b, "xgbb", xfeatures, ["0", "1"], json_model=True),
                      xfeatures)
        d = xgb.DMatrix(Xx, label=[enc[v] for v in y])
        b = xgb.train({"objective": "multi:softprob", "num_class": len(classes),
                       "max_depth": 4, "eta": 0.3, "nthread": 1}, d, num_boost_round=8)
        ms["xgbm"] = (lambda Z, b=b: np.array(classes)[np.argmax(b.predict(xgb.DMatrix(Z)),
                                                                  axis=1)],
                      lambda Z, b=b: b.predict(xgb.DMatrix(Z)),
                      1e-6, self.export(b, "xgbm", xfeatures, classes, json_model=True),
                      xfeatures)
        d = xgb.DMatrix(Xx, label=yr)
        b = xgb.train({"objective": "reg:squarederror", "max_depth": 4, "nthread": 1}, d,
                      num_boost_round=8)
        ms["xgbr"] = (lambda Z, b=b: b.predict(xgb.DMatrix(Z)), None, 1e-6,
                      self.export(b, "xgbr", xfeatures, json_model=True), xfeatures)
        return ms

    def labels(self, df):
        raise NotImplementedError

    def check(self, ms, got, src, what):
        """got: the model run's rows; src: the rows the library predicts from."""
        for name, (pred, proba, tol, _, feats) in ms.items():
            Xs = src[feats].to_numpy(dtype=np.float64)
            if proba is None:
                want = np.asarray(pred(Xs), dtype=np.float64)
                have = got["udps.%s_score" % name].to_numpy(dtype=np.float64)
                scale = np.maximum(1.0, np.abs(want))
                bad = np.flatnonzero(np.abs(have - want) > tol * scale)
                self.assertEqual(len(bad), 0, "%s %s: %d of %d scores differ, first %s" % (
                    what, name, len(bad), len(want),
                    [(have[i], want[i]) for i in bad[:3]]))
                continue
            want = [str(v) for v in pred(Xs)]
            have = [str(v) for v in got["udps.%s_label" % name]]
            diff = [i for i in range(len(want)) if want[i] != have[i]]
            self.assertEqual(diff, [], "%s %s: %d of %d labels differ, first %s" % (
                what, name, len(diff), len(want), [(have[i], want[i]) for i in diff[:3]]))
            p = proba(Xs).max(axis=1)
            hp = got["udps.%s_proba" % name].to_numpy(dtype=np.float64)
            bad = np.flatnonzero(np.abs(hp - p) > tol)
            self.assertEqual(len(bad), 0, "%s %s: %d probabilities differ, first %s" % (
                what, name, len(bad), [(hp[i], p[i]) for i in bad[:3]]))

    def test_at_expiry(self):
        cols = os.path.join(FIX, "cols.so")
        df, _ = self.sp(["--plugin", cols], "features")
        # XGBoost also reads a column that is None on flows whose first packet has no
        # payload: its missing values, which go its default way
        ms = self.train(df, self.labels(df), df["bidirectional_mean_piat_ms"].to_numpy(), END,
                        END + ["udps.payload_first"])
        self.assertGreater(int(df["udps.payload_first"].isna().sum()), 10)
        plugins = ["--plugin", cols]
        for name, (_, _, _, path, _) in ms.items():
            plugins += ["--plugin", "model:file=%s,name=%s" % (path, name)]
        got, err = self.sp(plugins, "models")
        # the same flows, the same values: the library predicts from the run's own CSV
        self.assertEqual(len(got), len(df))
        feats = END + ["udps.payload_first"]
        self.assertTrue(np.array_equal(got[feats].to_numpy(dtype=np.float64),
                                       df[feats].to_numpy(dtype=np.float64), equal_nan=True))
        self.check(ms, got, got, "expiry")
        self.assertRegex(err, r"plugin model: predicted=%d predicted_at_n=0 " % len(df))
        self.assertRegex(err, r"plugin model: predicted=%d predicted_at_n=0 missing_values=%d "
                         % (len(df), int(df["udps.payload_first"].isna().sum())))

    def test_at_n(self):
        cut, _ = self.sp(["--plugin", "slicer:limit=%d" % AT], "slicer")
        ms = self.train(cut, self.labels(cut), cut["bidirectional_mean_ps"].to_numpy(), CORE,
                        CORE)
        plugins = []
        for name, (_, _, _, path, _) in ms.items():
            plugins += ["--plugin", "model:file=%s,at=%d,name=%s" % (path, AT, name)]
        got, err = self.sp(plugins, "at")
        # each uncut flow is the slicer's flow with its key and first packet
        # (the first of them: a flow's later pieces may start in its first millisecond,
        # and the slicer ends the first piece, hence exports it, before them)
        idx = {}
        for i, r in enumerate(cut[KEY].itertuples(index=False)):
            idx.setdefault(tuple(r), i)
        rows = [idx.get(tuple(r)) for r in got[KEY].itertuples(index=False)]
        missing = [i for i, r in enumerate(rows) if r is None]
        self.assertEqual(missing, [], "flows without a slicer flow")
        # flows that reach N packets are predicted at the N-th
        reach = int((got["bidirectional_packets"] >= AT).sum())
        self.assertGreater(int((got["bidirectional_packets"] > AT).sum()), 10,
                           "too few flows go on past their N-th packet")
        self.assertRegex(err, r"plugin model: predicted=%d predicted_at_n=%d " % (len(got),
                                                                                 reach))
        self.check(ms, got, cut.iloc[rows].reset_index(drop=True), "at=%d" % AT)


class Generated(Base, unittest.TestCase):
    """tools/sp-genpcap.py's mixed conversations: labelled by transport protocol."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        gen = os.path.join(cls.tmp, "gen")
        subprocess.run([PY, GENPCAP, "--only", "mixed", gen], check=True,
                       stdout=subprocess.DEVNULL)
        cls.pcaps = [os.path.join(gen, "mixed.pcap")]

    def labels(self, df):
        names = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
        return np.array([names.get(int(p), str(p)) for p in df["protocol"]])

    def refuse(self, spec, extra, pattern):
        p = subprocess.run([BIN, "--pcap", self.pcaps[0], "--csv",
                            os.path.join(self.tmp, "x.csv"), "--plugin", spec] + extra,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = [l for l in p.stderr.splitlines() if l]
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], "^streamprobe: --plugin model: " + pattern)

    def test_refusals(self):
        m = tree.DecisionTreeClassifier(max_depth=2).fit(
            [[0, 1, 2], [1, 0, 3], [2, 2, 2], [3, 1, 0]], ["a", "b", "a", "c"])
        path = self.export(m, "small", ["bidirectional_packets", "application_confidence",
                                        "src2dst_mean_ps"])
        # line 11 is the second feature (docs/model-format.md's order)
        self.refuse("model:file=%s,at=3" % path, ["--statistical-analysis"],
                    r"model file '.*small.spm' line 11: feature 1: column "
                    r"'application_confidence' is nDPI's, written at the flow's end")
        self.refuse("model:file=%s" % path, [],
                    r"model file '.*' line 12: feature 2: column 'src2dst_mean_ps' needs "
                    r"--statistical-analysis")
        self.refuse("model:file=%s" % path, ["--n-dissections", "0", "--statistical-analysis"],
                    r".*line 11: feature 1: column 'application_confidence' is nDPI's, not in "
                    r"this run")
        bad = os.path.join(self.tmp, "bad.spm")
        with open(path) as f:
            text = f.read()
        with open(bad, "w") as f:
            f.write(text.replace("compare le", "compare ge"))
        self.refuse("model:file=%s" % bad, ["--statistical-analysis"],
                    r"model file '.*bad.spm' line 4: compare 'ge': not le nor lt")
        self.refuse("model:file=/nonexistent.spm", [],
                    r"model file '/nonexistent.spm': No such file or directory")
        self.refuse("model:file=%s,at=0" % path, [], r"at '0' is not a packet count >= 1")
        self.refuse("model:at=3", [], r"file=M is required")
        # the exporter: a model file it cannot open is one line naming it, exit 2
        p = subprocess.run([PY, EXPORT, "/nonexistent.joblib", "-o",
                            os.path.join(self.tmp, "x.spm")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stderr, "sp-model-export: /nonexistent.joblib: No such file or "
                         "directory\n")


    def test_threshold_edges(self):
        """One split at thresholds a hair either side of a feature's float32 value, with
        compare le and lt: the side each flow takes is the libraries' ((double)x32 <= t,
        (double)x32 < t), which a threshold rounded to float32 would get wrong."""
        df, _ = self.sp([], "edges")
        cases = []
        for feat in ("bidirectional_packets", "bidirectional_first_seen_ms",
                     "bidirectional_mean_ps"):
            v = float(df[feat].iloc[len(df) // 2])
            f = float(np.float32(v))
            for t in (f, f - 1e-9 * max(1.0, abs(f)), f + 1e-9 * max(1.0, abs(f)), v):
                for cmp in ("le", "lt"):
                    cases.append((feat, t, cmp))
        paths = []
        for i, (feat, t, cmp) in enumerate(cases):
            path = os.path.join(self.tmp, "edge%d.spm" % i)
            paths.append(path)
            with open(path, "w") as f:
                f.write("streamprobe-model 1\ntype classifier\ncompare %s\n"
                        "arithmetic double\naggregate mean\nlink none\noutputs 2\n"
                        "features 1\nfeature %s\nclasses 2\nclass left\nclass right\n"
                        "trees 1\ntree 3 -1\nnode 0 %r 1 2 right\nleaf 1 0\nleaf 0 1\nend\n"
                        % (cmp, feat, t))
        sides = set()
        for i, (feat, t, cmp) in enumerate(cases):
            if i % 12 == 0:     # 15 plugins a run at most
                plugins = []
                for j in range(i, min(i + 12, len(cases))):
                    plugins += ["--plugin", "model:file=%s,name=e%d" % (paths[j], j)]
                got, _ = self.sp(plugins, "edges-run")
            x = got[feat].to_numpy(dtype=np.float64).astype(np.float32).astype(np.float64)
            want = np.where(x <= t if cmp == "le" else x < t, "left", "right")
            have = got["udps.e%d_label" % i].to_numpy()
            self.assertEqual(list(have), list(want), "%s %s %r" % (feat, cmp, t))
            sides |= set(have)
        self.assertEqual(sides, {"left", "right"})


class Corpus(Base, unittest.TestCase):
    """Corpus captures, labelled by nDPI's application category."""
    names = ["1kxun.pcap", "443-chrome.pcap", "bittorrent.pcap", "android.pcap",
             "among_us.pcap", "anydesk.pcap", "alexa-app.pcapng", "avast_securedns.pcapng"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pcaps = [os.path.join(CORPUS, "pcaps", n) for n in cls.names
                     if os.path.exists(os.path.join(CORPUS, "pcaps", n))]

    def labels(self, df):
        return np.array([str(v) for v in df["application_category_name"]])


if __name__ == "__main__":
    if HAVE_LIBS is not True and sys.executable != PY and os.path.exists(PY):
        # another python3 (a pyenv one on PATH): Debian's has the libraries
        os.execv(PY, [PY] + sys.argv)
    if HAVE_LIBS is not True:
        print("needs Debian's python3-sklearn, python3-xgboost, python3-pandas "
              "(tools/install-deps.sh), under /usr/bin/python3: %s: skipped" % HAVE_LIBS)
        sys.exit(77)
    if sys.argv[1:] == ["Corpus"] and not os.path.isdir(os.path.join(CORPUS, "pcaps")):
        print("no corpus at %s: skipped" % CORPUS)
        sys.exit(77)
    unittest.main(verbosity=2)
