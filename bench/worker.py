"""One benchmark run: every stage of the pipeline on one dataset with one engine, in this process.

Started by ``bench/run.py`` in a fresh interpreter for each (engine, size, repetition),
so that memory figures belong to that run alone and a run that exceeds its time
limit can be killed. It writes one JSON object per line on stdout:

* ``{"event": "begin", "stage": ...}`` when a stage starts (the parent's clock for time limits);
* ``{"event": "stage", "stage": ..., "status": "ok", "seconds": ..., "peak_rss_bytes": ...}``
  when it ends, or with a message: ``"status": "error"`` when it failed, ``"skipped"`` when an
  earlier failure left it without input, ``"excluded"`` when asked not to run it;
* ``{"event": "counts", ...}`` with the triple counts, then ``{"event": "done"}``.

Anything the libraries print goes to stderr, so stdout carries only these lines.

Usage: ``python bench/worker.py --engine fast --data DATASET_DIR``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

# (key, label): the order stages run in. The first eight make up the pipeline; export and report
# are measured after it, on the knowledge graph it built.
STAGES: tuple[tuple[str, str], ...] = (
    ("load", "1 load records"),
    ("rdf", "2 build RDF"),
    ("store", "3 load the store"),
    ("inference", "4 inference"),
    ("derive", "5 derive disagreements"),
    ("shacl", "6 SHACL"),
    ("queries", "7 queries"),
    ("outputs", "8 outputs"),
    ("networkx", "9a export: RDF → networkx"),
    ("graphml", "9b export: GraphML write"),
    ("report", "10 report"),
)
PIPELINE_STAGES: tuple[str, ...] = tuple(key for key, _ in STAGES[:8])
SETUP = "setup"
"""Imports before the first stage: measured, but not part of the pipeline."""


class PeakMemory:
    """Peak resident memory of this process, per stage where the kernel allows it.

    Writing ``5`` to ``/proc/self/clear_refs`` resets the high-water mark (VmHWM) to the
    current RSS, so the VmHWM read after a stage is that stage's peak. Where this is not
    possible, ``getrusage`` gives the peak since the process started instead.
    """

    def __init__(self) -> None:
        self.method = "VmHWM after clearing /proc/self/clear_refs"
        try:
            self.reset()
            self._status("VmHWM")
        except (OSError, KeyError, ValueError):
            self.method = "getrusage ru_maxrss (peak since the run started)"

    def reset(self) -> None:
        if self.method.startswith("VmHWM"):
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")

    def peak(self) -> int:
        if self.method.startswith("VmHWM"):
            return self._status("VmHWM")
        import resource

        # ru_maxrss is in kilobytes on Linux, bytes on macOS.
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

    def current(self) -> int | None:
        try:
            return self._status("VmRSS")
        except (OSError, KeyError, ValueError):
            return None

    @staticmethod
    def _status(field: str) -> int:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(field)


@dataclass
class Stage:
    key: str
    run: Callable[[dict[str, Any]], dict[str, Any] | None]
    needs: tuple[str, ...]
    """Keys of the shared state this stage reads; if an earlier stage failed to provide one, it is skipped."""


def _setup(state: dict[str, Any]) -> dict[str, Any]:
    """Import everything the stages use, so that import time is not charged to the first stage that needs it."""
    import importlib

    from evidencekg.engines import ENGINES

    modules = ["evidencekg.pipeline", "evidencekg.analysis", "evidencekg.outputs.report", "networkx",
               ENGINES[state["engine"]].partition(":")[0]]
    # Each engine's own libraries, which the engines import lazily inside their steps.
    modules += ["pyoxigraph", "evidencekg.engines.fast.rules", "evidencekg.engines.fast.shacl"] \
        if state["engine"] == "fast" else ["owlrl", "pyshacl"]
    for name in modules:
        importlib.import_module(name)
    from evidencekg.pipeline import GraphBuild

    state["build"] = GraphBuild(state["data"], engine=state["engine"])
    return {"modules": modules}


def _build_stage(key: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """A stage of the pipeline's own build (evidencekg.pipeline.GraphBuild), run as the pipeline runs it."""

    def run(state: dict[str, Any]) -> dict[str, Any] | None:
        build = state["build"]
        dict(build.stages())[key]()
        state[key] = True
        if key == "load":
            return {"records": build.dataset.counts()}
        if key == "rdf":
            return {"asserted": len(build.built.triples)}
        if key == "inference":
            return {"inferred": build.engine.count("inferred")}
        if key == "derive":
            state["kg"] = build.result()
            return {"derived": build.engine.count("derived")}
        return None

    return run


def _shacl(state: dict[str, Any]) -> dict[str, Any]:
    from evidencekg.pipeline import validate

    report = validate(state["kg"]).report
    result = {"conforms": bool(report.conforms), "results": len(report.results)}
    state["shacl"] = result
    return result


def _queries(state: dict[str, Any]) -> dict[str, Any]:
    from evidencekg.sparql import available_queries, load_query

    per_query = {}
    for name in available_queries():
        started = time.perf_counter()
        rows = len(state["kg"].query(load_query(name)))
        per_query[name] = {"seconds": time.perf_counter() - started, "rows": rows}
    return {"queries": per_query}


def _outputs(state: dict[str, Any]) -> dict[str, Any]:
    from evidencekg.atomic import write_files
    from evidencekg.outputs.files import render_outputs

    files = render_outputs(state["kg"])
    write_files(files, Path(state["tmp"]) / "build")
    state["outputs"] = True
    return {"bytes": sum(len(content) for content in files.values())}


def _networkx(state: dict[str, Any]) -> dict[str, Any]:
    from evidencekg.analysis import to_networkx

    state["nx"] = to_networkx(state["kg"])
    return {"nodes": state["nx"].number_of_nodes(), "edges": state["nx"].number_of_edges()}


def _graphml(state: dict[str, Any]) -> dict[str, Any]:
    # evidencekg.outputs.exports.graphml converts and writes in one call; the conversion is timed on its
    # own above, so this stage makes the same networkx call on the converted graph and writes the file.
    import networkx as nx  # type: ignore[import-untyped]

    path = Path(state["tmp"]) / "evidence.graphml"
    with open(path, "wb") as handle:
        nx.write_graphml(state["nx"], handle, encoding="utf-8", prettyprint=True)
    return {"bytes": path.stat().st_size}


def _report(state: dict[str, Any]) -> dict[str, Any]:
    from evidencekg.outputs.report import write_report

    written = write_report(state["kg"], Path(state["tmp"]) / "report")
    return {"bytes": sum(p.stat().st_size for p in written)}


STAGE_RUNNERS: dict[str, Stage] = {
    stage.key: stage
    for stage in (
        Stage(SETUP, _setup, ()),
        Stage("load", _build_stage("load"), ("build",)),
        Stage("rdf", _build_stage("rdf"), ("load",)),
        Stage("store", _build_stage("store"), ("rdf",)),
        Stage("inference", _build_stage("inference"), ("store",)),
        Stage("derive", _build_stage("derive"), ("inference",)),
        Stage("shacl", _shacl, ("kg",)),
        Stage("queries", _queries, ("kg",)),
        Stage("outputs", _outputs, ("kg",)),
        Stage("networkx", _networkx, ("kg",)),
        Stage("graphml", _graphml, ("nx",)),
        Stage("report", _report, ("kg",)),
    )
}


def _emit(out: TextIO, **event: Any) -> None:
    out.write(json.dumps(event, default=str) + "\n")
    out.flush()


EXPORT_STAGES = ("networkx", "graphml", "report")
"""Stages after the pipeline, which build rdflib and networkx graphs of the whole dataset."""


def run(engine: str, data: Path, out: TextIO, skip: Mapping[str, str] | None = None) -> int:
    """Run every stage in order, reporting each on ``out``; returns the exit code.

    ``skip`` maps stages not to run to the reason shown for them.
    """
    skip = skip or {}
    memory = PeakMemory()
    state: dict[str, Any] = {"engine": engine, "data": data, "tmp": tempfile.mkdtemp(prefix="evidencekg-bench-run-")}
    _emit(out, event="start", engine=engine, data=str(data), pid=os.getpid(), memory_method=memory.method)
    failed = False
    try:
        for key in (SETUP, *(key for key, _ in STAGES)):
            stage = STAGE_RUNNERS[key]
            if key in skip:
                _emit(out, event="stage", stage=key, status="excluded", message=skip[key])
                continue
            missing = [need for need in stage.needs if need not in state]
            if missing:
                _emit(out, event="stage", stage=key, status="skipped",
                      message=f"not run: an earlier stage failed (needs {', '.join(missing)})")
                continue
            _emit(out, event="begin", stage=key)
            rss_before = memory.current()
            memory.reset()
            started = time.perf_counter()
            try:
                detail = stage.run(state)
            except Exception as exc:  # a failing stage is a result to report, not a crash
                seconds = time.perf_counter() - started
                traceback.print_exc()
                failed = True
                _emit(out, event="stage", stage=key, status="error", seconds=seconds,
                      message=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
                continue
            seconds = time.perf_counter() - started
            _emit(out, event="stage", stage=key, status="ok", seconds=seconds, peak_rss_bytes=memory.peak(),
                  rss_before_bytes=rss_before, detail=detail or {})
        counts: dict[str, Any] = {}
        build = state.get("build")
        if "rdf" in state:
            counts["asserted"] = len(build.built.triples)
        if "inference" in state:
            counts["inferred"] = build.engine.count("inferred")
        if "derive" in state:
            counts["derived"] = build.engine.count("derived")
        if "load" in state:
            counts["records"] = build.dataset.counts()
        if "shacl" in state:
            counts["shacl"] = state["shacl"]
        _emit(out, event="counts", **counts)
        _emit(out, event="done")
    finally:
        shutil.rmtree(state["tmp"], ignore_errors=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("fast", "reference"), required=True)
    parser.add_argument("--data", type=Path, required=True, help="dataset directory")
    parser.add_argument("--skip-export", metavar="REASON",
                        help="do not run the export and report stages; REASON is shown for them")
    args = parser.parse_args(argv)
    # The protocol gets its own copy of stdout; fd 1 then points at stderr, so stray prints
    # (from this process or a C library) cannot corrupt it.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    skip = dict.fromkeys(EXPORT_STAGES, args.skip_export) if args.skip_export else {}
    return run(args.engine, args.data, protocol, skip)


if __name__ == "__main__":
    sys.exit(main())
