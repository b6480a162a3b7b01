"""Outputs never destroy what they did not write, are replaced as one unit, and are always readable.

``synth --out`` only replaces an earlier synthetic dataset; concurrent writers of one directory take
turns; only regular files (or new paths) are ever replaced; GraphML is well-formed XML whatever the labels.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import STUDY, VOCABULARY, edit, make_dataset, run_cli

from evidencekg import atomic
from evidencekg.errors import InputError


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- synth --out: never deletes files it did not write ----------------------------------------


@pytest.fixture(scope="module")
def earlier_synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("earlier") / "synth"
    completed = run_cli("synth", "--studies", "6", "--seed", "3", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    return _tree(out)


def _restore(tree: dict[str, bytes], root: Path) -> Path:
    for name, content in tree.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


@pytest.mark.parametrize("extra", ["mine.txt", "notes/keep.md", "studies/notes.txt", "studies/sub/x.yaml",
                                   ".hidden"])
def test_synth_refuses_an_earlier_dataset_with_anything_else_in_it(
        extra: str, earlier_synth: dict[str, bytes], tmp_path: Path) -> None:
    out = _restore(earlier_synth, tmp_path / "out")
    (out / extra).parent.mkdir(parents=True, exist_ok=True)
    (out / extra).write_text("keep me", encoding="utf-8")
    before = _tree(out)
    completed = run_cli("synth", "--studies", "4", "--seed", "1", "--out", str(out))
    assert completed.returncode == 2, completed.stderr
    assert "does not hold exactly an earlier synthetic dataset" in completed.stderr
    assert _tree(out) == before, "nothing is deleted, replaced or added"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_synth_refuses_a_planted_json_among_other_files(tmp_path: Path) -> None:
    """The case that used to delete the whole directory: a planted.json beside someone's files."""
    (tmp_path / "planted.json").write_text('{"generator": "evidencekg.synth"}', encoding="utf-8")
    (tmp_path / "thesis.tex").write_text("years of work", encoding="utf-8")
    completed = run_cli("synth", "--studies", "3", "--out", str(tmp_path))
    assert completed.returncode == 2
    assert "thesis.tex" in completed.stderr
    assert (tmp_path / "thesis.tex").read_text(encoding="utf-8") == "years of work"


def test_synth_refuses_a_curated_dataset_with_a_foreign_planted_json(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data")
    (data / "dataset.yaml").write_text("title: mine\n", encoding="utf-8")
    (data / "planted.json").write_text('{"mine": true}', encoding="utf-8")
    before = _tree(data)
    completed = run_cli("synth", "--studies", "3", "--out", str(data))
    assert completed.returncode == 2
    assert "planted.json was not written by evidencekg synth" in completed.stderr
    assert _tree(data) == before


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_synth_refuses_a_linked_study_file(earlier_synth: dict[str, bytes], tmp_path: Path) -> None:
    precious = tmp_path / "precious.yaml"
    precious.write_text("mine", encoding="utf-8")
    out = _restore(earlier_synth, tmp_path / "out")
    (out / "studies" / "link.yaml").symlink_to(precious)
    assert run_cli("synth", "--studies", "3", "--out", str(out)).returncode == 2
    assert (out / "studies" / "link.yaml").is_symlink() and precious.read_text(encoding="utf-8") == "mine"


def test_synth_replaces_only_the_files_of_an_earlier_run(earlier_synth: dict[str, bytes], tmp_path: Path) -> None:
    out = _restore(earlier_synth, tmp_path / "out")
    inode = out.stat().st_ino
    completed = run_cli("synth", "--studies", "4", "--seed", "9", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    fresh = tmp_path / "fresh"
    assert run_cli("synth", "--studies", "4", "--seed", "9", "--out", str(fresh)).returncode == 0
    assert _tree(out) == _tree(fresh)
    assert sorted(p.name for p in out.iterdir()) == ["dataset.yaml", "planted.json", "studies", "vocabulary.yaml"]
    assert out.stat().st_ino == inode, "the directory itself is kept: only its files are replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "out"], "nothing left beside it"


def test_synth_into_an_empty_directory_and_a_failed_run_leaves_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("synth", "--studies", "2", "--out", str(empty)).returncode == 0
    assert (empty / "planted.json").is_file()
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    assert run_cli("synth", "--studies", "2", "--out", str(not_a_dir)).returncode == 2
    assert not_a_dir.read_text(encoding="utf-8") == "x"


# --- write_files: one unit, one writer at a time -----------------------------------------------


def _writer_files(writer: int, round_: int) -> dict[str, bytes]:
    content = f"writer {writer} round {round_}\n".encode() * 200
    files = {f"part-{i:02d}.txt": content for i in range(25)}
    files["manifest.json"] = content
    return files


def test_concurrent_writers_never_leave_a_mixed_set(tmp_path: Path) -> None:
    """Eight writers at once, several times over: the directory always ends with one writer's whole set."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as processes on several cores would interleave
    try:
        _concurrent_writers(tmp_path)
    finally:
        sys.setswitchinterval(interval)


def _concurrent_writers(tmp_path: Path) -> None:
    for trial in range(8):
        out = tmp_path / f"out-{trial}"
        errors: list[BaseException] = []
        start = threading.Barrier(8)

        def write(writer: int, out: Path = out, start: threading.Barrier = start,
                  errors: list[BaseException] = errors) -> None:
            try:
                start.wait()
                for round_ in range(3):
                    atomic.write_files(_writer_files(writer, round_), out)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        contents = {p.read_bytes() for p in out.iterdir()}
        assert len(contents) == 1, f"trial {trial}: every file comes from the same writer"
        assert sorted(p.name for p in out.iterdir()) == sorted(_writer_files(0, 0)), "no staging or lock left"


def test_a_writer_waits_for_the_lock_held_by_another_process(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code = ("import sys; from pathlib import Path; from evidencekg.atomic import write_files; "
            "write_files({'a.txt': b'A', 'manifest.json': b'M'}, Path(sys.argv[1]))")
    with atomic.locked(out) as held:
        if not held:  # pragma: no cover - platforms without fcntl
            pytest.skip("no fcntl: writes are not locked")
        process = subprocess.Popen([sys.executable, "-c", code, str(out)])
        time.sleep(1.5)
        assert process.poll() is None, "the other writer waits"
        assert not (out / "a.txt").exists()
    assert process.wait(timeout=60) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "manifest.json"]


def test_the_last_file_is_moved_into_place_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moved: list[str] = []
    real_replace = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        moved.append(Path(target).name)
        real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", replace)
    atomic.write_files({"manifest.json": b"m", "a.ttl": b"a", "b.ttl": b"b"}, tmp_path)
    assert moved == ["manifest.json", "a.ttl", "b.ttl"]
    moved.clear()
    atomic.write_files({"a.ttl": b"a", "b.ttl": b"b", "manifest.json": b"m"}, tmp_path)
    assert moved[-1] == "manifest.json"


def test_a_failed_write_removes_its_staging_and_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.ttl").write_bytes(b"old")

    def fail(source: str | Path, target: str | Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        atomic.write_files({"a.ttl": b"new"}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ttl"]
    assert (tmp_path / "a.ttl").read_bytes() == b"old"


def _file_size_limit(limit: int) -> None:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_build_that_runs_out_of_space_is_a_clear_error_and_keeps_the_old_outputs(tmp_path: Path) -> None:
    out = tmp_path / "build"
    assert run_cli("build", "--out", str(out)).returncode == 0
    before = _tree(out)
    completed = subprocess.run([sys.executable, "-m", "evidencekg", "build", "--out", str(out)],
                               preexec_fn=lambda: _file_size_limit(20_000), capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 2, completed.stderr
    last = completed.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {out}/") and last.endswith(": cannot write: File too large; no output was replaced")
    assert _tree(out) == before


def test_a_killed_writers_staging_is_cleared_by_the_next(tmp_path: Path) -> None:
    stale = tmp_path / ".evidencekg-abcd1234"
    stale.mkdir()
    (stale / "a.ttl").write_bytes(b"half")
    atomic.write_files({"a.ttl": b"a"}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ttl"]


# --- only regular files are replaced --------------------------------------------------------------


def _special(kind: str, path: Path, tmp_path: Path) -> None:
    if kind == "directory":
        path.mkdir()
    elif kind == "FIFO":
        os.mkfifo(path)
    else:
        (tmp_path / "target.txt").write_text("target", encoding="utf-8")
        path.symlink_to(tmp_path / "target.txt")


SPECIAL = [pytest.param("directory"),
           pytest.param("FIFO", marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")),
           pytest.param("symbolic link", marks=pytest.mark.skipif(not hasattr(os, "symlink"), reason="no links"))]


@pytest.mark.parametrize("kind", SPECIAL)
def test_write_files_refuses_a_target_that_is_not_a_regular_file(kind: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _special(kind, out / "b.ttl", tmp_path)
    before = {p.name: os.lstat(p).st_mode for p in out.iterdir()}
    with pytest.raises(InputError, match=f"is a {kind}"):
        atomic.write_files({"a.ttl": b"a", "b.ttl": b"b"}, out)
    assert {p.name: os.lstat(p).st_mode for p in out.iterdir()} == before, "nothing written"
    if kind == "symbolic link":
        assert (tmp_path / "target.txt").read_text(encoding="utf-8") == "target"


def test_a_device_is_never_a_target() -> None:
    if not Path("/dev/null").exists():  # pragma: no cover - no /dev/null here
        pytest.skip("no /dev/null")
    with pytest.raises(InputError, match="character device"):
        atomic.check_target("/dev/null")  # never write_files here: a regression would replace /dev/null


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("small"))


@pytest.mark.parametrize("kind", SPECIAL)
def test_export_graphml_refuses_an_out_that_is_not_a_regular_file(
        kind: str, small_data: Path, tmp_path: Path) -> None:
    target = tmp_path / "evidence.graphml"
    _special(kind, target, tmp_path)
    mode = os.lstat(target).st_mode
    completed = run_cli("export", "graphml", "--data", str(small_data), "--out", str(target))
    assert completed.returncode == 2, completed.stderr
    assert f"is a {kind}" in completed.stderr
    assert os.lstat(target).st_mode == mode
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".evidencekg")]


# --- GraphML is always well-formed XML --------------------------------------------------------------


def test_graphml_is_well_formed_whatever_the_labels(tmp_path: Path) -> None:
    # YAML's escapes give the strings characters XML 1.0 cannot hold (the reader refuses them raw).
    study = edit(STUDY, "title: A trial", 'title: "A\\x01 trial\\uFFFE"')
    study = edit(study, "label: Treated", 'label: "Treat\\x1bed\\x00"')
    study = edit(study, "p_value: 0.01", 'p_value: 0.01\n    quote: "reduced\\x0c BP\\uFFFF\\ttab"')
    vocabulary = edit(VOCABULARY, "label: Exercise", 'label: "Exer\\x0bcise"')
    data = make_dataset(tmp_path / "data", study=study, vocabulary=vocabulary)
    out = tmp_path / "evidence.graphml"
    completed = run_cli("export", "graphml", "--data", str(data), "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    root = ET.parse(out).getroot()
    texts = {element.text for element in root.iter() if element.text}
    assert "Exer\ufffdcise" in texts and "Treat\ufffded\ufffd" in texts
    assert any("A\ufffd trial\ufffd" in text for text in texts)
    nodes = [str(element.get("id")) for element in root.iter() if element.tag.endswith("}node")]
    assert len(nodes) == len(set(nodes))
