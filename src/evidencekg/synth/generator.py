"""Synthetic datasets whose disagreements are known by construction.

``generate(studies, seed, out_dir)`` writes a dataset in the project's own
record format (``dataset.yaml``, ``vocabulary.yaml``, ``studies/*.yaml``) and
``planted.json``: the opposite-direction and effect-vs-null disagreements that
``queries/derive/`` must find, no more and no fewer, with the traps it must not
fall into. ``hot_question=M`` adds M studies on one question, half of them
each way, whose pairs are too many to list: ``planted.json`` counts them
exactly and gives a sample (:mod:`.hot`). Everything is invented and says so: titles and quotes start with
``SYNTHETIC``, no study has a DOI or a PMID, every study has
``citation_verified: false``.

The package is split by idea: :mod:`.vocabulary` (the tables of
``vocabulary.yaml`` and the fixed vocabulary), :mod:`.planting` (how
disagreements and traps are planted, and the rules that find them),
:mod:`.studies` (one study record, built through the record model), :mod:`.hot`
(the hot question) and this module (topic clusters, the whole dataset and
``planted.json``).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     manifest = generate(12, 1, pathlib.Path(tmp) / "synth")
...     (manifest.studies, sorted(p.name for p in manifest.out_dir.iterdir()))
(12, ['dataset.yaml', 'planted.json', 'studies', 'vocabulary.yaml'])
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..atomic import LOCK_FILE, locked
from ..records.model import DatasetMetadata, Design
from .hot import MAX_HOT_EXAMPLES, HotPlanted, HotQuestion
from .planting import ClusterContext, Question, derive_by_cluster, derive_indexed
from .studies import StudyHeader, StudyWriter, Tally, dump, new_header, record, write
from .vocabulary import (
    CLUSTER_SIZES,
    FINDING_COUNTS,
    FIRST_YEAR,
    LAST_YEAR,
    OUTCOME_TEMPLATES,
    POPULATION_FOCUS,
    PRIMARY_DESIGNS,
    REVIEW_SHARE,
    Family,
    OutcomeInstance,
    fixed_vocabulary,
    quota,
    weighted,
)

__all__ = ["BASE_IRI", "PLANTED_FILE", "HotPlanted", "SynthManifest", "generate", "planted_pairs"]

BASE_IRI = "https://example.org/evidencekg-synth/"
PLANTED_FILE = "planted.json"
FORMAT_VERSION = 2
"""Version 2 added ``hot_question`` (null without one): with one, the pair lists leave out its pairs."""
MAX_TRAP_EXAMPLES = 500
"""At most this many example pairs per trap category in planted.json (the counts are always complete)."""


@dataclass(frozen=True)
class SynthManifest:
    """What :func:`generate` wrote, and the disagreements the derivation must find there."""

    out_dir: Path
    seed: int
    studies: int
    """All the studies written, the hot question's included."""
    findings: int
    groups: int
    interventions: int
    terms: int
    designs: tuple[tuple[str, int], ...]
    opposite_directions: tuple[tuple[str, str], ...]
    """Unordered pairs of finding paths ``study-id/finding/finding-id``, each pair and the list sorted;
    all of them but the hot question's (counted in :attr:`hot_question`)."""
    effect_vs_null: tuple[tuple[str, str], ...]
    """(effect finding, null finding) pairs, sorted; all of them but the hot question's."""
    comparable_pairs: int
    """How many comparable pairs of findings the rules of queries/derive find, the hot question's included."""
    agreements: int
    """Comparable pairs that agree, the hot question's included."""
    traps: tuple[tuple[str, int], ...]
    """Trap category → how many look-alike pairs of that kind must *not* be found."""
    files: int
    hot_question: HotPlanted | None = None
    """The hot question, if one was asked for: its pairs counted, with examples."""

    @property
    def opposite_direction_count(self) -> int:
        """Opposite-direction pairs in the whole dataset."""
        return len(self.opposite_directions) + (self.hot_question.opposite_directions if self.hot_question else 0)

    @property
    def effect_vs_null_count(self) -> int:
        """Effect-vs-null pairs in the whole dataset."""
        return len(self.effect_vs_null) + (self.hot_question.effect_vs_null if self.hot_question else 0)

    @property
    def disagreements(self) -> int:
        """Distinct disagreeing pairs in the whole dataset (a pair can be both opposite and effect-vs-null)."""
        pairs = {tuple(sorted(p)) for p in self.opposite_directions}
        listed = len(pairs | {tuple(sorted(p)) for p in self.effect_vs_null})
        return listed + (self.hot_question.disagreements if self.hot_question else 0)


# --- the dataset ------------------------------------------------------------------------------


class _Generator:
    """The whole dataset: topic clusters of studies, drawn from one seeded random generator."""

    def __init__(self, studies: int, seed: int, studies_dir: Path) -> None:
        self.n = studies
        self.seed = seed
        self.rng = random.Random(seed)
        self.vocab, self.families = fixed_vocabulary()
        self.instances: list[OutcomeInstance] = []
        self.instances_of: dict[int, list[int]] = {}
        self.made = 0
        self.tally = Tally(studies_dir)
        ids = list(range(1, studies + 1))
        self.rng.shuffle(ids)
        self.numbers = ids

    # -- outcome instances

    def _new_instance(self, template: int) -> int:
        domain, slug, label, higher, branches = OUTCOME_TEMPLATES[template]
        copies = self.instances_of.setdefault(template, [])
        number = len(copies) + 1
        suffix, label_suffix = ("", "") if number == 1 else (f"-set-{number}", f" (measure set {number})")
        note = "" if number == 1 else (f" Measure set {number}: a separate synthetic copy of the '{label}' terms, "
                                       "so that its questions stay apart from those of the other sets.")
        add = self.vocab.add
        root = add("outcomes", slug + suffix, label + label_suffix, domain,
                   f"SYNTHETIC outcome: {label}; higher means {higher}.{note}")
        made: list[tuple[str, list[str]]] = []
        for branch_slug, branch_label, leaves in branches:
            branch = add("outcomes", branch_slug + suffix, branch_label + label_suffix, root)
            made.append((branch, [add("outcomes", s + suffix, lab + label_suffix, branch) for s, lab in leaves]))
        self.instances.append(OutcomeInstance(root, made, {k: list(range(len(v))) for k, v in self.families.items()}))
        copies.append(len(self.instances) - 1)
        return len(self.instances) - 1

    def _instance_for(self, needs: dict[str, int]) -> int:
        template = self.rng.randrange(len(OUTCOME_TEMPLATES))
        copies = self.instances_of.get(template, [])
        if copies:
            last = self.instances[copies[-1]]
            if all(len(last.free[k]) >= n for k, n in needs.items()):
                return copies[-1]
        return self._new_instance(template)

    def _take_family(self, instance: OutcomeInstance, kind: str) -> Family:
        free = instance.free[kind]
        return self.families[kind][free.pop(self.rng.randrange(len(free)))]

    # -- the whole dataset

    def run(self) -> None:
        rng = self.rng
        n_reviews = round(REVIEW_SHARE * self.n)
        if self.n >= 20:
            n_reviews = max(n_reviews, 1)
        primary = quota(self.n - n_reviews, PRIMARY_DESIGNS)
        rng.shuffle(primary)
        clusters: list[list[Design]] = []
        at = 0
        while at < len(primary):
            size = weighted(rng, CLUSTER_SIZES)
            clusters.append(primary[at:at + size])
            at += size
        eligible = [i for i, c in enumerate(clusters) if len(c) >= 2] or list(range(len(clusters)))
        n_reviews = min(n_reviews, len(eligible))
        with_review = set(rng.sample(eligible, n_reviews))
        # Studies that could not be placed as reviews (tiny datasets) become primary studies.
        missing = self.n - len(primary) - n_reviews
        for extra in range(missing):
            clusters[extra % len(clusters)].append(weighted(rng, PRIMARY_DESIGNS))
        for index, designs in enumerate(clusters):
            self._cluster(index, designs, index in with_review)

    def _cluster(self, index: int, designs: list[Design], review: bool) -> None:
        rng = self.rng
        kinds: list[str] = []
        for design in designs:
            if design in ("randomized-controlled-trial", "non-randomized-trial", "case-series", "case-report"):
                kinds.append("I")
            elif design == "case-control":
                kinds.append("C")
            elif design == "cohort":
                kinds.append("E")
            else:  # cross-sectional
                kinds.append("C" if rng.random() < 0.45 else "E")
        present: list[str] = [k for k in ("I", "C", "E") if k in kinds]
        unrelated_condition = "C" in present and rng.random() < 0.3
        needs: dict[str, int] = {k: 1 for k in present}
        if unrelated_condition:
            needs["C"] = 2
        instance = self.instances[self._instance_for(needs)]
        questions: dict[str, Question] = {}
        for kind in present:
            family = self._take_family(instance, kind)
            trap_family = self._take_family(instance, "C") if kind == "C" and unrelated_condition else None
            questions[kind] = Question(rng, kind, family, trap_family, instance, sum(1 for k in kinds if k == kind))
        focus, subgroups = POPULATION_FOCUS[rng.randrange(len(POPULATION_FOCUS))]
        context = self._context_condition(questions.get("C"))
        cluster = ClusterContext(index, instance, focus, subgroups, context)
        self.tally.clusters.append([])
        made: dict[str, list[tuple[str, int]]] = {k: [] for k in present}
        for design, kind in zip(designs, kinds, strict=True):
            question = questions[kind]
            study_id, size = self._study(cluster, question, design, question.next_role())
            made[kind].append((study_id, size))
        if review:
            reviewed = max(present, key=lambda k: (len(made[k]), -"ICE".index(k)))
            self._review(cluster, questions[reviewed], made[reviewed])

    def _context_condition(self, question: Question | None) -> str | None:
        """The condition participants of intervention and exposure studies have, if any."""
        rng = self.rng
        if rng.random() < 0.4:
            return None
        if question is not None:
            return question.family.term
        family = self.families["C"][rng.randrange(len(self.families["C"]))]
        return rng.choice([family.term, *family.children])

    # -- one study

    def _new_study(self, design: Design, year: int) -> StudyHeader:
        number = self.numbers[self.made]
        self.made += 1
        return new_header(self.rng, number, design, year)

    def _study(self, cluster: ClusterContext, question: Question, design: Design, role: str) -> tuple[str, int]:
        rng = self.rng
        year = rng.randint(FIRST_YEAR, LAST_YEAR - 3)
        header = self._new_study(design, year)
        n_outcomes = weighted(rng, FINDING_COUNTS)
        writer = StudyWriter(rng, self.vocab, self.tally, cluster, question, header)
        if question.kind == "I":
            writer.intervention_study(design, role, n_outcomes)
        elif question.kind == "C":
            writer.condition_study(design, role, n_outcomes)
        else:
            writer.exposure_study(design, role, n_outcomes)
        writer.finish()
        if header.sample_size is None:  # pragma: no cover - every primary study has one
            raise AssertionError(f"{header.id} has no sample size")
        return header.id, header.sample_size

    def hot_question(self, studies: int) -> HotPlanted:
        """Add ``studies`` studies on one question, after the clusters and numbered after them."""
        # A generator of its own, so the rest of the dataset is the same with or without a hot question.
        rng = random.Random(f"evidencekg.synth hot question {self.seed}")
        # A fresh outcome instance, made after every cluster took its own: no cluster shares its terms.
        instance = self.instances[self._new_instance(rng.randrange(len(OUTCOME_TEMPLATES)))]
        tally = Tally(self.tally.studies_dir, clusters=[[]])
        hot = HotQuestion(rng, self.vocab, self.families, instance, tally, len(self.tally.clusters)).write(
            studies, self.n + 1)
        self.made += studies
        self.tally.groups += tally.groups
        self.tally.interventions += tally.interventions
        for design, count in tally.designs.items():
            self.tally.designs[design] = self.tally.designs.get(design, 0) + count
        anc, outcome = self.vocab.anc, hot.outcome
        if any(f.outcome in anc[outcome] or outcome in anc[f.outcome] for f in self.tally.findings):
            raise AssertionError("a finding outside the hot question shares its outcome")  # pragma: no cover
        return hot

    def _review(self, cluster: ClusterContext, question: Question, included: list[tuple[str, int]]) -> None:
        rng = self.rng
        years = [int(s.rsplit("-", 1)[1]) for s, _ in included]
        year = min(LAST_YEAR, max(years) + rng.randint(1, 3))
        design: Design = "systematic-review" if rng.random() < 0.6 else "meta-analysis"
        writer = StudyWriter(rng, self.vocab, self.tally, cluster, question, self._new_study(design, year))
        writer.review(sorted(s for s, _ in included), sum(size for _, size in included))
        writer.finish()


def generate(studies: int, seed: int, out_dir: Path, *, hot_question: int = 0) -> SynthManifest:
    """Write a synthetic dataset of ``studies`` studies to ``out_dir``, the same bytes for the same arguments.

    ``hot_question`` adds that many more studies (0, or at least 2) on one question: one intervention term and
    one outcome, half of the studies reporting an increase and half a decrease (see :mod:`.hot`). The other
    studies are the same with or without it. ``planted.json`` then counts the hot question's pairs and lists
    only examples of them.

    ``out_dir`` must not exist, be empty, or hold exactly an earlier output of this function and nothing
    else (its files are then replaced, never merged; ``planted.json`` last). Anything else raises
    ``FileExistsError`` before a file is written: a file this function did not write is never deleted.
    Runs writing the same directory take turns (:func:`evidencekg.atomic.locked`). Returns the manifest;
    ``planted.json`` in ``out_dir`` holds the same.
    """
    if isinstance(studies, bool) or not isinstance(studies, int) or studies < 1:
        raise ValueError(f"studies must be a whole number, at least 1, not {studies!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number, not {seed!r}")
    if isinstance(hot_question, bool) or not isinstance(hot_question, int) or hot_question < 0 or hot_question == 1:
        raise ValueError(f"hot_question must be 0 (none) or a whole number of studies, at least 2 (two can "
                         f"disagree), not {hot_question!r}")
    out_dir = Path(out_dir)
    if out_dir.is_symlink() or out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a directory")
        _earlier_output(out_dir)  # refuse before generating anything
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with locked(out_dir):
            earlier = _earlier_output(out_dir)  # again, now that no other run of ours can change it
            staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out_dir))
            try:
                manifest = _write(studies, seed, staging, out_dir, hot_question)
                _install(staging, out_dir, earlier)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if still empty: never anything of someone else's
        raise
    return manifest


def _write(studies: int, seed: int, staging: Path, out_dir: Path, hot_studies: int) -> SynthManifest:
    """Generate the dataset into ``staging``; the manifest names ``out_dir``, where it will be moved."""
    (staging / "studies").mkdir()
    gen = _Generator(studies, seed, staging / "studies")
    gen.run()
    hot = gen.hot_question(hot_studies) if hot_studies else None
    studies += hot_studies
    if gen.made != studies:  # pragma: no cover - guards the exact count
        raise AssertionError(f"generated {gen.made} studies, not {studies}")

    tally = gen.tally
    opposite, effect_null, comparable, agreements = derive_indexed(tally.findings, gen.vocab)
    opposite_c, effect_null_c, traps = derive_by_cluster(tally.clusters, gen.vocab)
    if opposite != opposite_c or effect_null != effect_null_c:  # pragma: no cover - guards the isolation
        raise AssertionError("a disagreement crosses two clusters: the clusters are not isolated")
    for pairs in traps.values():
        pairs.sort()
    design_counts = tuple(sorted(tally.designs.items()))
    opposite_list = sorted(opposite)
    effect_null_list = sorted(effect_null)

    on_hot = f", {hot_studies} of them on one hot question" if hot else ""
    metadata = DatasetMetadata(
        title=f"SYNTHETIC TEST DATA: evidencekg generated dataset ({studies} studies{on_hot}, seed {seed})",
        description=(
            "Synthetic dataset generated by evidencekg.synth. Every study, author, journal, number and quote "
            "is invented; none of it describes real research, and it must never be cited or used as evidence. "
            "No study has a DOI or PMID and every study has citation_verified: false. The disagreements the "
            "derivation queries must find are listed in planted.json, known by construction."
            + (" The pairs of the hot question are too many to list: planted.json counts them, with examples."
               if hot else "")),
        question="SYNTHETIC: do the generated studies agree? (a test dataset with planted disagreements)",
        base_iri=BASE_IRI,
        license="CC0-1.0",
    )
    findings = len(tally.findings) + (hot.findings if hot else 0)
    comparable += hot.comparable_pairs if hot else 0
    agreements += hot.agreements if hot else 0
    counts = {
        "studies": studies,
        "findings": findings,
        "groups": tally.groups,
        "interventions": tally.interventions,
        "terms": gen.vocab.count(),
        "comparable_pairs": comparable,
        "agreements": agreements,
        "opposite_directions": len(opposite_list) + (hot.opposite_directions if hot else 0),
        "effect_vs_null": len(effect_null_list) + (hot.effect_vs_null if hot else 0),
        "disagreements": len(opposite | {(min(p), max(p)) for p in effect_null}) + (hot.disagreements if hot else 0),
        "traps": {name: len(pairs) for name, pairs in traps.items()},
    }
    planted = {
        "generator": "evidencekg.synth",
        "format": FORMAT_VERSION,
        "studies": studies,
        "seed": seed,
        "base_iri": BASE_IRI,
        "note": ("SYNTHETIC. Pairs are 'study-id/finding/finding-id'. opposite_directions: unordered pairs, "
                 "each sorted; effect_vs_null: [effect, null]; traps: look-alike pairs that must not be found "
                 f"(at most {MAX_TRAP_EXAMPLES} examples per category; counts are complete). counts are of the "
                 "whole dataset; the pair lists hold every pair except those of hot_question (if not null), "
                 "whose pairs are counted in hot_question.counts, with at most "
                 f"{MAX_HOT_EXAMPLES} examples per kind."),
        "counts": counts,
        "designs": dict(design_counts),
        "opposite_directions": [list(p) for p in opposite_list],
        "effect_vs_null": [list(p) for p in effect_null_list],
        "traps": {name: [list(p) for p in pairs[:MAX_TRAP_EXAMPLES]] for name, pairs in traps.items()},
        "hot_question": hot.record() if hot else None,
    }
    write(staging / "dataset.yaml", dump(record(metadata)))
    write(staging / "vocabulary.yaml", dump(gen.vocab.record()))
    write(staging / PLANTED_FILE, json.dumps(planted, indent=1, ensure_ascii=False) + "\n")
    return SynthManifest(
        out_dir=out_dir,
        seed=seed,
        studies=studies,
        findings=findings,
        groups=tally.groups,
        interventions=tally.interventions,
        terms=gen.vocab.count(),
        designs=design_counts,
        opposite_directions=tuple(opposite_list),
        effect_vs_null=tuple(effect_null_list),
        comparable_pairs=comparable,
        agreements=agreements,
        traps=tuple((name, len(pairs)) for name, pairs in traps.items()),
        files=3 + studies,
        hot_question=hot,
    )


# --- the output directory ---------------------------------------------------------------------

STUDIES_DIR = "studies"
TOP_FILES = ("dataset.yaml", "vocabulary.yaml", PLANTED_FILE)
"""What :func:`generate` writes beside ``studies/`` (which holds only ``<study-id>.yaml`` files), in the order
they are moved into place: ``planted.json``, the mark of a complete dataset, last."""
_STAGING_PREFIX = ".evidencekg-synth-"
_SHOWN = 5


def _refuse(out_dir: Path, why: str) -> FileExistsError:
    return FileExistsError(f"{out_dir} is not empty and does not hold exactly an earlier synthetic dataset "
                           f"({why}); nothing was written: choose a new or empty directory")


def _earlier_output(out_dir: Path) -> list[str]:
    """The study file names of the earlier output ``out_dir`` holds, ``[]`` if it is empty.

    ``FileExistsError`` unless it holds exactly ``dataset.yaml``, ``vocabulary.yaml``, a ``planted.json``
    this generator wrote, and ``studies/`` with only ``.yaml`` files (all regular files, no links).
    """
    with os.scandir(out_dir) as listing:
        entries = {entry.name: entry for entry in listing if entry.name != LOCK_FILE}
    if not entries:
        return []
    unexpected = sorted(set(entries) - {*TOP_FILES, STUDIES_DIR})
    if unexpected:
        shown = ", ".join(unexpected[:_SHOWN]) + (f" and {len(unexpected) - _SHOWN} more"
                                                   if len(unexpected) > _SHOWN else "")
        raise _refuse(out_dir, f"it also holds {shown}")
    missing = sorted({*TOP_FILES, STUDIES_DIR} - set(entries))
    if missing:
        raise _refuse(out_dir, f"{', '.join(missing)} missing")
    for name in TOP_FILES:
        if not entries[name].is_file(follow_symlinks=False):
            raise _refuse(out_dir, f"{name} is not a regular file")
    if not entries[STUDIES_DIR].is_dir(follow_symlinks=False):
        raise _refuse(out_dir, f"{STUDIES_DIR} is not a directory")
    try:
        planted = json.loads((out_dir / PLANTED_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        planted = None
    if not isinstance(planted, dict) or planted.get("generator") != "evidencekg.synth":
        raise _refuse(out_dir, f"{PLANTED_FILE} was not written by evidencekg synth")
    names = []
    with os.scandir(out_dir / STUDIES_DIR) as listing:
        for entry in listing:
            if not (entry.name.endswith(".yaml") and entry.is_file(follow_symlinks=False)):
                raise _refuse(out_dir, f"{STUDIES_DIR}/{entry.name} is not a study file")
            names.append(entry.name)
    return sorted(names)


def _install(staging: Path, out_dir: Path, earlier: list[str]) -> None:
    """Move the dataset written in ``staging`` into ``out_dir`` in place of the ``earlier`` one, if any.

    ``studies/`` is swapped as a whole (two renames), then the files; the earlier study files are
    removed by name, so a file that appeared meanwhile is kept (in a ``.evidencekg-synth-old-*`` folder).
    """
    studies = out_dir / STUDIES_DIR
    if studies.is_dir():
        old = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX + "old-", dir=out_dir))
        os.rename(studies, old / STUDIES_DIR)
        os.rename(staging / STUDIES_DIR, studies)
        for name in earlier:
            with contextlib.suppress(OSError):
                os.unlink(old / STUDIES_DIR / name)
        with contextlib.suppress(OSError):
            os.rmdir(old / STUDIES_DIR)
            os.rmdir(old)
    else:
        os.rename(staging / STUDIES_DIR, studies)
    for name in TOP_FILES:
        os.replace(staging / name, out_dir / name)


def planted_pairs(path: Path | str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(opposite-direction pairs, (effect, null) pairs) read back from a ``planted.json``.

    Every pair of the dataset, except those of its hot question if it has one: ``hot_question`` in the file
    counts those, with examples.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return ({(a, b) for a, b in data["opposite_directions"]}, {(a, b) for a, b in data["effect_vs_null"]})
