"""Benchmark the evidencekg pipeline stage by stage, fast and reference engines side by side.

    python bench/run.py --sizes 300,1000,3000,10000 --reference-sizes 300 --repeat 3 --out bench/results

For each size a synthetic dataset is generated once (cached by size, seed and generator
version) and every (engine, size, repetition) runs in a fresh subprocess
(``bench/worker.py``), followed by the ``evidencekg build`` command on the same data for
the end-to-end figure. The results go to ``OUT/latest.md`` and ``OUT/latest.json`` and
the Markdown is printed. See bench/README.md for how to read it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import select
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from machine import machine_info  # noqa: E402
from tables import check_budgets, render_markdown, summarise  # noqa: E402
from worker import SETUP, STAGES  # noqa: E402

WORKER = BENCH / "worker.py"
CLI = (sys.executable, "-m", "evidencekg")
STDERR_TAIL = 2000
"""Characters of a failed subprocess's stderr kept in the results."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- datasets ------------------------------------------------------------------------------------


def _generator_digest() -> str:
    """A short hash of every file of the generator's package (code and data), so a changed generator never
    reuses a stale cached dataset."""
    import evidencekg.synth

    package = Path(evidencekg.synth.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def ensure_dataset(studies: int, seed: int, cache_dir: Path) -> dict[str, Any]:
    """The synthetic dataset of ``studies`` studies, generated unless the cache already holds it."""
    from evidencekg.synth import PLANTED_FILE, generate

    path = cache_dir / f"synth-{studies}-seed{seed}-{_generator_digest()}"
    planted = path / PLANTED_FILE
    if planted.is_file():
        data = json.loads(planted.read_text(encoding="utf-8"))
        if data.get("studies") == studies and data.get("seed") == seed:
            return {"studies": studies, "seed": seed, "path": str(path), "cached": True,
                    "generation_s": None, "planted": data.get("counts", {})}
    _log(f"generating a synthetic dataset of {studies} studies (seed {seed}) in {path}")
    started = time.perf_counter()
    generate(studies, seed, path)
    seconds = time.perf_counter() - started
    data = json.loads(planted.read_text(encoding="utf-8"))
    return {"studies": studies, "seed": seed, "path": str(path), "cached": False, "generation_s": seconds,
            "planted": data.get("counts", {})}


# --- subprocesses --------------------------------------------------------------------------------


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def _kill(pid: int) -> None:
    """Kill a process group this script started (each subprocess runs in its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


@contextlib.contextmanager
def _owned(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Kill ``proc`` if this script is interrupted while it runs: in its own session, Ctrl-C does not reach it."""
    try:
        yield proc
    except BaseException:
        if proc.returncode is None:
            _kill(proc.pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(proc.pid, 0)
        raise


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[float, int, int, bool]:
    """Wait for ``proc`` for at most ``timeout`` seconds, killing it after that.

    Returns (the moment it ended by perf_counter, exit code, peak RSS in bytes, timed out).
    ``os.wait4`` gives the child's own peak memory, which ``Popen.wait`` does not.
    """
    deadline = time.perf_counter() + timeout
    timed_out = False
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        try:
            ready, _, _ = select.select([pidfd], [], [], max(0.0, deadline - time.perf_counter()))
        finally:
            os.close(pidfd)
        ended = time.perf_counter()
        if not ready:
            timed_out = True
            _kill(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
    else:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            ended = time.perf_counter()
            if pid:
                break
            if ended >= deadline:
                timed_out = True
                _kill(proc.pid)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
    proc.returncode = _exit_code(status)
    scale = 1 if sys.platform == "darwin" else 1024
    return ended, proc.returncode, usage.ru_maxrss * scale, timed_out


def run_command(argv: Sequence[str], timeout: float, cwd: Path) -> dict[str, Any]:
    """Wall time, exit code and peak memory of one command; killed after ``timeout`` seconds."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=err, cwd=cwd, start_new_session=True)
        with _owned(proc):
            ended, code, peak, timed_out = _wait(proc, timeout)
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    result: dict[str, Any] = {"command": shlex.join(argv), "seconds": ended - started, "returncode": code,
                              "peak_rss_bytes": peak}
    if timed_out:
        result.update(status="timeout", seconds=timeout, message=f"timed out after {timeout:g} s")
    elif code in (0, 1):
        # 1 means the graph has SHACL violations: the build still ran to the end.
        result["status"] = "ok"
        if code == 1:
            result["message"] = "exit code 1 (SHACL violations)"
    else:
        result.update(status="error", message=f"exit code {code}: " + _last_line(stderr), stderr=stderr[-STDERR_TAIL:])
    return result


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no message)"


def _events(fd: int, timeout: float) -> Iterator[dict[str, Any]]:
    """The JSON lines a worker writes to ``fd``, until it closes it.

    Raises TimeoutError when ``timeout`` seconds pass without a new stage beginning
    (the clock restarts at each ``begin`` event).
    """
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    buffer = b""
    stage_started = time.perf_counter()
    try:
        while True:
            remaining = timeout - (time.perf_counter() - stage_started)
            if remaining <= 0:
                raise TimeoutError
            if not selector.select(min(remaining, 1.0)):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "begin":
                    stage_started = time.perf_counter()
                yield event
    finally:
        selector.close()


def run_worker(engine: str, data: Path, timeout: float, cwd: Path, skip_export: str | None = None) -> dict[str, Any]:
    """One pipeline run in a fresh interpreter; each stage may take at most ``timeout`` seconds.

    Stages are read as the worker reports them, so the stages finished before a
    time limit was exceeded keep their figures. ``skip_export``, if given, is the
    reason the export and report stages are not run.
    """
    stages: dict[str, dict[str, Any]] = {}
    counts: dict[str, Any] = {}
    memory_method = None
    current: str | None = None
    timed_out = False
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        argv = [sys.executable, str(WORKER), "--engine", engine, "--data", str(data)]
        if skip_export:
            argv += ["--skip-export", skip_export]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, cwd=cwd, start_new_session=True)
        with _owned(proc):
            assert proc.stdout is not None
            try:
                for event in _events(proc.stdout.fileno(), timeout):
                    kind = event.pop("event", None)
                    if kind == "begin":
                        current = event["stage"]
                    elif kind == "stage":
                        stages[event.pop("stage")] = event
                        current = None
                    elif kind == "counts":
                        counts = event
                    elif kind == "start":
                        memory_method = event.get("memory_method")
            except TimeoutError:
                timed_out = True
                _kill(proc.pid)
            finally:
                proc.stdout.close()
            _, code, peak, _ = _wait(proc, 60)
        wall = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")

    run: dict[str, Any] = {"engine": engine, "returncode": code, "wall_seconds": wall, "process_peak_rss_bytes": peak,
                           "memory_method": memory_method, "counts": counts, "stages": stages}
    if timed_out:
        keys = (SETUP, *(key for key, _ in STAGES))
        stopped = current or next((key for key in keys if key not in stages), SETUP)
        stages[stopped] = {"status": "timeout", "seconds": timeout, "message": f"timed out after {timeout:g} s"}
        for key in (SETUP, *(key for key, _ in STAGES)):
            stages.setdefault(key, {"status": "not run", "message": f"not run: {stopped} timed out"})
        run["status"] = "timeout"
    else:
        for key in (SETUP, *(key for key, _ in STAGES)):
            if key not in stages:
                # The worker died (killed by the kernel, an interpreter crash) before reporting this stage.
                stages[key] = {"status": "error", "message": f"worker exited with code {code}: {_last_line(stderr)}"}
        failed = any(stage["status"] not in ("ok", "excluded") for stage in stages.values())
        run["status"] = "error" if failed else "ok"
    if run["status"] != "ok":
        run["stderr"] = stderr[-STDERR_TAIL:]
    return run


# --- the other figures ---------------------------------------------------------------------------


def time_command(argv: Sequence[str], repeat: int, timeout: float, cwd: Path) -> dict[str, Any]:
    """A command run ``repeat`` times after one unmeasured warm-up (which writes bytecode caches)."""
    run_command(argv, timeout, cwd)
    runs = [run_command(argv, timeout, cwd) for _ in range(repeat)]
    return {"command": shlex.join(argv), "runs": runs}


def incremental_validation(dataset: dict[str, Any], repeat: int, timeout: float, cwd: Path) -> dict[str, Any]:
    """Re-validation with ``validate --cache`` after one study file changes, against a plain ``validate``.

    On a copy of the dataset: a first validation with the cache (which fills it), then, ``repeat``
    times, one study file changed (a YAML comment appended: its bytes change, its data does not)
    and validated again with the cache, and the same copy validated without it for comparison.
    """
    work = Path(tempfile.mkdtemp(prefix="evidencekg-bench-incremental-", dir=cwd))
    try:
        copy = work / "data"
        shutil.copytree(dataset["path"], copy)
        option_args = ["--cache", str(work / "state")]
        record = sorted((copy / "studies").glob("*.yaml"))[0]
        first = run_command([*CLI, "validate", *option_args, str(copy)], timeout, cwd)
        changed, full = [], []
        for number in range(repeat):
            with open(record, "a", encoding="utf-8") as handle:
                handle.write(f"# changed by the benchmark ({number})\n")
            changed.append(run_command([*CLI, "validate", *option_args, str(copy)], timeout, cwd))
            full.append(run_command([*CLI, "validate", str(copy)], timeout, cwd))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"status": "ok", "option": "--cache", "metavar": "DIRECTORY", "studies": dataset["studies"],
            "first": first, "after_change": changed, "full": full}


# --- main ----------------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("sizes are numbers of studies, at least 1")
    return sizes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # With seed 0 a study brings about 335 triples: 300 studies are ~100k triples, 3,000 ~1M.
    parser.add_argument("--sizes", type=_sizes, default=_sizes("300,1000,3000,10000"),
                        help="numbers of studies to run the fast engine at (default: 300,1000,3000,10000)")
    parser.add_argument("--reference-sizes", type=_sizes, default=_sizes("300"),
                        help="numbers of studies to also run the reference engine at (default: 300); "
                             "the fast engine runs at these too; empty for none")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size of the fast engine (default: 3)")
    parser.add_argument("--reference-repeat", type=int, default=1,
                        help="runs per size of the reference engine (default: 1)")
    parser.add_argument("--reference-timeout", type=float, default=900,
                        help="seconds a reference stage (and the reference build command) may take (default: 900)")
    parser.add_argument("--fast-timeout", type=float, default=900,
                        help="seconds a fast stage (and the fast build command) may take (default: 900)")
    parser.add_argument("--export-max-studies", type=int, default=1000,
                        help="largest size at which the export and report stages run (default: 1000); they build "
                             "rdflib and networkx graphs of the whole dataset, and their time and memory grow "
                             "faster than the data")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic datasets (default: 0)")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "evidencekg-bench",
                        help="where generated datasets are kept between runs (default: TMPDIR/evidencekg-bench)")
    parser.add_argument("--out", type=Path, default=BENCH / "results",
                        help="directory for latest.md and latest.json (default: bench/results)")
    args = parser.parse_args(argv)
    if not args.sizes and not args.reference_sizes:
        parser.error("give at least one size")
    if args.repeat < 1 or args.reference_repeat < 1:
        parser.error("--repeat and --reference-repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)])
    repo = BENCH.parent
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="evidencekg-bench-"))
    try:
        results = _run_all(args, command, repo, scratch)
    except KeyboardInterrupt:
        _log("interrupted; nothing written")
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    markdown = render_markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    (args.out / "latest.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    _log(f"wrote {args.out / 'latest.md'} and {args.out / 'latest.json'}")
    return 0


def _run_all(args: argparse.Namespace, command: str, repo: Path, scratch: Path) -> dict[str, Any]:
    started = time.perf_counter()
    machine = machine_info(repo)
    sizes = sorted(set(args.sizes) | set(args.reference_sizes))
    datasets = {size: ensure_dataset(size, args.seed, args.cache_dir) for size in sizes}
    cheap_repeat = max(3, args.repeat)  # a second or less each: a few more runs steady the median
    _log("timing `evidencekg --help` and the bundled build")
    help_runs = time_command([*CLI, "--help"], cheap_repeat, 60, scratch)
    bundled = time_command([*CLI, "--engine", "fast", "build", "--out", str(scratch / "bundled")], cheap_repeat,
                           args.fast_timeout, scratch)

    runs: list[dict[str, Any]] = []
    for size in sizes:
        plan = [("fast", args.repeat, args.fast_timeout)]
        if size in args.reference_sizes:
            plan.append(("reference", args.reference_repeat, args.reference_timeout))
        for engine, repeat, timeout in plan:
            for repetition in range(repeat):
                _log(f"{engine} engine, {size} studies, run {repetition + 1} of {repeat}")
                skip = (f"not run: above --export-max-studies ({args.export_max_studies:,})"
                        if size > args.export_max_studies else None)
                run = run_worker(engine, Path(datasets[size]["path"]), timeout, scratch, skip)
                run.update(studies=size, repetition=repetition)
                out = scratch / f"build-{engine}-{size}"
                run["cli"] = run_command([*CLI, "--engine", engine, "build", "--data", datasets[size]["path"],
                                          "--out", str(out)], timeout, scratch)
                shutil.rmtree(out, ignore_errors=True)
                pipeline = sum(run["stages"][key]["seconds"] for key, _ in STAGES[:8]
                               if run["stages"][key]["status"] == "ok")
                _log(f"  {run['status']}: pipeline stages {pipeline:.2f} s, build command "
                     f"{run['cli']['seconds']:.2f} s ({run['cli']['status']})")
                runs.append(run)

    summary = summarise(runs, sizes, args.sizes, args.reference_sizes)
    # The budget is stated for one changed file in the largest dataset (10,000 studies by default).
    _log("timing incremental re-validation")
    incremental = incremental_validation(datasets[max(sizes)], args.repeat, args.fast_timeout, scratch)
    results: dict[str, Any] = {
        "command": command,
        "machine": machine,
        "config": {"sizes": args.sizes, "reference_sizes": args.reference_sizes, "repeat": args.repeat,
                   "export_max_studies": args.export_max_studies,
                   "reference_repeat": args.reference_repeat, "reference_timeout_s": args.reference_timeout,
                   "fast_timeout_s": args.fast_timeout, "seed": args.seed, "cache_dir": str(args.cache_dir)},
        "stages": [{"key": key, "label": label, "pipeline": index < 8} for index, (key, label) in enumerate(STAGES)],
        "datasets": {str(size): info for size, info in datasets.items()},
        "runs": runs,
        "summary": summary,
        "commands": {"help": help_runs, "bundled_build": bundled, "incremental_validation": incremental},
    }
    results["budgets"] = check_budgets(results)
    results["duration_s"] = time.perf_counter() - started
    return results


if __name__ == "__main__":
    sys.exit(main())
