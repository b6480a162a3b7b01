"""The ``evidencekg`` command: a thin layer over the pipeline's functions.

Exit codes: 0 success (and the graph conforms), 1 SHACL violations (or
warnings with ``--strict``), 2 bad input or usage, 3 an internal error.
Results go to stdout; progress and messages go to stderr, so output can be piped.
Progress is shown only when stderr is a terminal (:mod:`evidencekg.progress`).
Heavy libraries are imported inside the commands, keeping ``--help`` fast.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import plural, printable
from .progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from .knowledge_graph import KnowledgeGraph
    from .outputs.store import StoredGraph
    from .sparql.results import QueryResult
    from .validation.report import ValidationReport

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
QUERY_FORMATS = ("table", "json", "csv", "tsv")
MAX_ERRORS_SHOWN = 100
CONTRADICTIONS_SHOWN = 10
"""Contradiction blocks ``build`` prints; ``evidencekg contradictions`` lists every one."""


def _say(message: str = "") -> None:
    click.echo(printable(message), err=True)


def _data_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Dataset directory (vocabulary.yaml + studies/). Default: the bundled dataset.",
    )(command)


def _format_option(choices: Sequence[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True, help="Output format."
    )


def _timeout_option(command: Callable[..., Any]) -> Callable[..., Any]:
    from .sparql.limits import DEFAULT_TIMEOUT_S

    return click.option(
        "--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT_S, show_default=True, metavar="SECONDS",
        help="Stop with exit 2 once SPARQL evaluation (derivations, SHACL, queries) has taken this long; 0: no limit.",
    )(command)


_STORE = "evidencekg.store"


def _remember_store(context: click.Context, _: click.Parameter, value: Path | None) -> None:
    context.meta[_STORE] = value


def _store_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--store DIR`` for a command that reads a built graph: :func:`_build` then opens the store instead."""
    return click.option(
        "--store", type=click.Path(path_type=Path, file_okay=False), default=None, expose_value=False,
        callback=_remember_store,
        help="Read the graph from the store `build --store` wrote instead of building it (refused if --data changed).",
    )(command)


def _build(data_dir: Path | None, progress: Progress = NO_PROGRESS) -> KnowledgeGraph:
    """The built graph of ``--data``: built now, or opened from ``--store`` where the command has one."""
    from .pipeline import build_graph
    from .resources import bundled_data_dir

    store_dir = click.get_current_context().meta.get(_STORE)
    if store_dir is not None:
        from .outputs.store import open_knowledge_graph

        with progress.stage("opening the store"):
            return open_knowledge_graph(store_dir, data_dir or bundled_data_dir())
    return build_graph(data_dir or bundled_data_dir(), engine=_engine(), progress=progress)


def _open_store(store_dir: Path, data_dir: Path | None) -> StoredGraph:
    from .outputs.store import open_store
    from .resources import bundled_data_dir

    return open_store(store_dir, data_dir or bundled_data_dir())


def _counts_line(kg: KnowledgeGraph) -> str:
    c = kg.counts()
    return (
        f"records: {plural(c['studies'], 'study', 'studies')}, {plural(c['groups'], 'group')}, "
        f"{plural(c['interventions'], 'intervention')}, {plural(c['findings'], 'finding')}, "
        f"{plural(c['terms'], 'term')}\n"
        f"triples: {c['asserted_triples']} asserted, {c['inferred_triples']} inferred, "
        f"{c['derived_triples']} derived ({plural(c['disagreements'], 'disagreement')}, "
        f"{plural(c['agreements'], 'agreement')}), "
        f"{c['asserted_triples'] + c['inferred_triples'] + c['derived_triples']} in all"
    )


def _verdict(report: ValidationReport) -> str:
    counts = report.counts()
    state = "conforms" if report.conforms else "does not conform"
    shown = ", ".join((plural(counts["violations"], "violation"), plural(counts["warnings"], "warning"),
                       plural(counts["notes"], "note")))
    accepted = [f"{counts['suppressed']} suppressed"] if counts["suppressed"] else []
    accepted += [f"{counts['baselined']} in the baseline"] if counts["baselined"] else []
    return f"SHACL: {state} ({shown}{'; ' + ', '.join(accepted) if accepted else ''})"


def _explanations(kg: KnowledgeGraph, relations: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Disagreement IRI → one line per facet on which its findings differ (of ``relations`` only, if given)."""
    from .analysis.explanations import explanations

    return explanations(kg, relations)


def _contradictions_command(data_dir: Path | None, store_dir: Path | None) -> str:
    """The command line that lists the contradictions of the same graph."""
    import shlex

    return shlex.join(["evidencekg", "contradictions", *(["--data", str(data_dir)] if data_dir else []),
                       *(["--store", str(store_dir)] if store_dir else [])])


def _contradictions_shown(kg: KnowledgeGraph, see_all: str) -> tuple[str, int]:
    """The first :data:`CONTRADICTIONS_SHOWN` contradictions, one block per pair of positions, and how many there are.

    A large dataset has thousands, which would bury everything else ``build`` says: the rest are
    counted, with the command that lists them.
    """
    from .analysis.contradictions import as_text, contradicting_positions

    found = contradicting_positions(kg)
    text = as_text(found[:CONTRADICTIONS_SHOWN], f"{see_all} --pairs")
    if len(found) > CONTRADICTIONS_SHOWN:
        text += (f"\n… and {plural(len(found) - CONTRADICTIONS_SHOWN, 'more contradiction')} ({len(found)} in all): "
                 f"`{see_all}` lists every one, `{see_all} --format json` with every field.\n")
    return text, len(found)


def _contradiction_blocks(result: QueryResult, explanations: dict[str, list[str]] | None = None) -> str:
    """Each contradiction as two columns side by side, one per study, then the facets that differ."""
    from .sparql.results import display

    if not result.rows:
        return "No contradictions found.\n"
    facets = [
        ("study", "study"), ("design", "design"), ("population", "population"), ("condition", "condition"),
        ("sample size", "sampleSize"), ("outcome", "outcome"), ("direction", "direction"),
        ("significant", "significant"), ("p-value", "p"),
    ]
    # Shown only where a finding has them: a test across groups it is read from, assumed values, whose words.
    caveats = [("from test", "test"), ("assumed", "assumed"), ("quoted from", "quoteKind")]
    blocks = []
    for number, record in enumerate(result.records(), start=1):
        shown = facets + [(label, key) for label, key in caveats if f"{key}1" in record or f"{key}2" in record]
        left = [display(record.get(f"{key}1")) or "—" for _, key in shown]
        right = [display(record.get(f"{key}2")) or "—" for _, key in shown]
        width = max(len(v) for v in left) + 2
        title = (
            f"{number}. {display(record['outcome1'])}: {display(record['direction1'])} vs "
            f"{display(record['direction2'])} (contrast: {display(record['contrast'])})"
        )
        lines = [title, *(f"   {label:<12} {a:<{width}} {b}"
                          for (label, _), a, b in zip(shown, left, right, strict=True))]
        if "assumed1" in record or "assumed2" in record:
            lines.append(f"   {'caveat':<12} rests on assumed values, not on what the sources state")
        if str(record.get("dependent")).lower() == "true":
            lines.append(f"   {'dependent':<12} one study is a review that includes the other: "
                         "not independent evidence")
        lines.append(f"   {'relation':<12} {display(record.get('relation'))}")
        lines.append(f"   {'findings':<12} {record['finding1']}\n   {'':<12} {record['finding2']}")
        differences = (explanations or {}).get(str(record.get("relation")), [])
        if differences:
            lines.append(f"   {'differ in':<12} " + f"\n   {'':<12} ".join(differences))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _say_fallbacks(kg: KnowledgeGraph) -> None:
    for fallback in kg.engine.fallbacks:
        _say(f"engine {kg.engine.name}: {fallback}")


def _print_report(report: ValidationReport, include_notes: bool = True) -> None:
    for result in report.results:
        if include_notes or result.severity != "Info":
            click.echo(printable(str(result)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evidencekg")
@click.option("--debug", is_flag=True, help="Show a traceback when something fails.")
@click.option("--engine", type=click.Choice(["fast", "reference"]), default="fast", show_default=True,
              envvar="EVIDENCEKG_ENGINE",
              help="fast: pyoxigraph store, rules compiled from the ontology, SHACL as whole-graph SPARQL. "
                   "reference: rdflib, owlrl and pySHACL. Both give the same results.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, engine: str) -> None:
    """Turn the studies of a research question into a knowledge graph of agreement and contradiction."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["engine"] = engine


def _engine() -> str:
    context = click.get_current_context(silent=True)
    return (context.find_root().obj or {}).get("engine", "fast") if context else "fast"


@cli.command()
@_data_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("build"),
              show_default=True, help="Directory to write the graphs to.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print only errors and violations: no progress, no counts, no list of contradictions "
                   "(for scripts and CI).")
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also keep the graph in an on-disk Oxigraph store here, for query --store and serve.")
def build(data_dir: Path | None, out_dir: Path, quiet: bool, store_dir: Path | None) -> None:
    """Build the graph (records → RDF → OWL RL), validate it, list contradictions, write the graphs."""
    from .atomic import write_files
    from .outputs.files import render_outputs
    from .pipeline import validate

    progress = Progress.for_terminal(quiet=quiet)
    kg = _build(data_dir, progress)
    report = validate(kg, progress=progress).report
    contradictions = ""
    if not quiet:
        see_all = _contradictions_command(data_dir, store_dir)
        with progress.stage("queries") as stage:
            counts = _counts_line(kg)
            contradictions, found = _contradictions_shown(kg, see_all)
            stage.done(plural(found, "contradiction"))
        _say(counts)
        _say_fallbacks(kg)
    if not quiet or not report.conforms:
        _say(_verdict(report))
    for result in report.violations:
        _say(f"  {result}")
    with progress.stage("writing outputs") as stage:
        written = write_files(render_outputs(kg), out_dir)
        stage.done(plural(len(written), "file"))
    if store_dir is not None:
        from .outputs.store import write_store

        with progress.stage("writing the store"):
            written.append(write_store(kg, store_dir))
    if not quiet:
        _say("wrote: " + ", ".join(str(p) for p in written))
        click.echo("\nContradictions (opposite directions, same outcome and contrast, different studies):\n")
        click.echo(contradictions, nl=False)
    if not report.conforms:
        sys.exit(EXIT_VIOLATIONS)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_data_option
@click.option("--shapes", "shape_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Extra SHACL shapes (Turtle or any RDF file) to check besides evidencekg's. Repeatable.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Keep the results here and, on the next run, re-check only what changed study files can affect.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Fail only on results this baseline does not hold (matched by rule, record and field).")
@click.option("--write-baseline", "new_baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write a baseline holding today's results to this file, and pass on them.")
@_format_option(("text", "json", "turtle", "sarif", "junit"))
@_timeout_option
def validate(paths: tuple[Path, ...], data_dir: Path | None, shape_files: tuple[Path, ...], strict: bool,
             cache_dir: Path | None, baseline_file: Path | None, new_baseline: Path | None, fmt: str,
             timeout: float) -> None:
    """Check records or RDF against the SHACL shapes. Exit 0 conforms, 1 violations, 2 bad input.

    PATHS may be a dataset directory, record files of one dataset, or RDF files
    (.ttl, .nt, .trig, .nq, .jsonld, .rdf); default: --data, or the bundled dataset.
    Input that cannot be read is reported in every format too, with exit status 2.
    """
    from dataclasses import replace

    from .errors import InputErrors
    from .pipeline import validate as validate_target
    from .sparql.limits import time_limit
    from .validation import compare_with_baseline, read_baseline, write_baseline

    targets = list(paths) or ([data_dir] if data_dir else [])
    if cache_dir is not None:
        if len(targets) > 1 or (targets and not targets[0].is_dir()):
            raise click.UsageError("--cache validates one dataset directory")
        if fmt == "turtle":
            raise click.UsageError("--cache keeps results, not the W3C report graph; use --format json, sarif or junit")
    baseline = read_baseline(baseline_file) if baseline_file else None
    with time_limit(timeout):
        checked = validate_target(targets, engine=_engine(), shapes=list(shape_files) or None, cache=cache_dir,
                                  baseline=baseline, report_refused=fmt != "text", progress=Progress.for_terminal())
    if new_baseline is not None and not checked.errors:
        checked = replace(checked, report=compare_with_baseline(checked.report,
                                                                write_baseline(checked.report, new_baseline)))
        _say(f"wrote: {new_baseline} ({plural(len(checked.report.results), 'result')})")
    if checked.incremental is not None:
        _say(str(checked.incremental))
    for fallback in checked.fallbacks:
        _say(fallback)
    report = checked.report
    if fmt == "json":
        from .outputs.ci import to_json

        click.echo(to_json(checked, strict=strict), nl=False)
    elif fmt == "turtle":
        click.echo(report.to_turtle().decode("utf-8"), nl=False)
    elif fmt == "sarif":
        from .outputs.ci import to_sarif
        from .resources import package_version

        # Paths relative to the working directory, where code scanning expects the repository root.
        click.echo(to_sarif(checked, tool_version=package_version(), base_dir=Path.cwd(),
                            records_dir=checked.records_root), nl=False)
    elif fmt == "junit":
        from .outputs.ci import to_junit

        click.echo(to_junit(checked, strict=strict, files=checked.file_names), nl=False)
    else:
        _print_report(report)
        click.echo(
            f"{plural(checked.files, 'file')}, {plural(checked.records, 'record')}, "
            f"{plural(checked.findings, 'finding')}: " + _verdict(report).removeprefix("SHACL: ")
        )
        if report.conforms and not report.passes(strict):
            click.echo(f"fails because of --strict: {plural(len(report.warnings), 'warning')}")
    if checked.errors:  # reported above in the format asked for; on stderr as well, one line each
        raise InputErrors(list(checked.errors))
    if not report.passes(strict):
        sys.exit(EXIT_VIOLATIONS)


@cli.command("query")
@click.argument("name_or_file")
@_data_option
@_format_option(QUERY_FORMATS)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a query variable: <iri>, prefix:name, a number, or text. Repeatable.")
@click.option("--allow-service", is_flag=True, help="Allow SERVICE clauses, which reach the network.")
@_timeout_option
@_store_option
@click.option("--endpoint", metavar="URL", default=None,
              help="Run the query on a SPARQL 1.1 endpoint that holds the graph (evidencekg serve, or any store).")
def query_command(name_or_file: str, data_dir: Path | None, fmt: str, params: tuple[str, ...],
                  allow_service: bool, timeout: float, endpoint: str | None) -> None:
    """Run a named query from queries/ (e.g. effect-vs-null) or any .rq file."""
    from .sparql import check_bindings, load_query, parse_bindings, refuse_service, render
    from .sparql.limits import time_limit

    named = load_query(name_or_file)
    bindings = parse_bindings(params)
    # Refused before the graph is built, so a refusal costs no build; the engine checks again when it runs.
    refuse_service(named.parsed, str(named.path), allow_service=allow_service)
    check_bindings(named, bindings)
    if endpoint is not None and (click.get_current_context().meta.get(_STORE) or data_dir is not None):
        raise click.UsageError("--endpoint queries the graph an endpoint holds: give no --store or --data")
    with time_limit(timeout):
        if endpoint is not None:
            from .engines.remote import Endpoint
            from .knowledge_graph import run_query

            result = run_query(Endpoint(endpoint), named, bindings, allow_service=allow_service)
        else:
            result = _build(data_dir).query(named, bindings, allow_service=allow_service)
    _say(f"{named.name}: {plural(len(result), 'row')}")
    click.echo(render(result, fmt), nl=False)


@cli.command()
@_store_option
@_data_option
@_format_option(QUERY_FORMATS)
@click.option("--pairs", is_flag=True,
              help="List every pair of findings with its explanation facets, instead of one block per pair of "
                   "positions (a question answered by many studies has thousands of pairs).")
def contradictions(data_dir: Path | None, fmt: str, pairs: bool) -> None:
    """Findings of different studies with opposite directions for the same outcome and contrast.

    One block per pair of positions that contradict each other: each side's studies and participants, its
    strongest studies, and the facets on which the sides share no value. --pairs lists the pairs themselves.
    """
    from .sparql.results import render

    kg = _build(data_dir)
    if not pairs:
        from .analysis.contradictions import as_table, as_text, contradicting_positions

        found = contradicting_positions(kg)
        _say(f"contradictions: {plural(len(found), 'pair')} of positions, "
             f"{plural(sum(c.pairs for c in found), 'pair')} of findings")
        if fmt == "table":
            store_dir = click.get_current_context().meta.get(_STORE)
            click.echo(as_text(found, _contradictions_command(data_dir, store_dir) + " --pairs"), nl=False)
        elif fmt == "json":
            click.echo(json.dumps({"contradictions": [c.as_dict() for c in found]}, indent=2, sort_keys=True,
                                  ensure_ascii=False))
        else:
            click.echo(render(as_table(found), fmt), nl=False)
        return
    result = kg.query("contradictions")
    _say(f"contradictions: {plural(len(result), 'pair')}")
    differences = _explanations(kg)
    if fmt == "table":
        click.echo(_contradiction_blocks(result, differences), nl=False)
    else:
        from .analysis.explanations import with_differences

        click.echo(render(with_differences(result, differences), fmt), nl=False)


@cli.command()
@_store_option
@_data_option
@_format_option(("table", "json"))
def stats(data_dir: Path | None, fmt: str) -> None:
    """Counts of records, graph nodes and triples."""
    counts = _build(data_dir).counts()
    if fmt == "json":
        click.echo(json.dumps(counts, indent=2, sort_keys=True))
        return
    width = max(len(k) for k in counts)
    for key, value in counts.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")


@cli.command()
@_store_option
@_data_option
@_format_option(("table", "json"))
@click.option("--all-levels", is_flag=True,
              help="List every level of the hierarchies; by default only questions with more than one study.")
def summary(data_dir: Path | None, fmt: str, all_levels: bool) -> None:
    """Evidence per question (factor × outcome) with a GRADE-style certainty and the steps behind it."""  # noqa: RUF002
    from .analysis import evidence_summary

    questions = evidence_summary(_build(data_dir))
    shown = questions if all_levels or fmt == "json" else [q for q in questions if q.studies > 1]
    if fmt == "json":
        click.echo(json.dumps([q.to_dict() for q in shown], indent=2, ensure_ascii=False))
        return
    _say(f"summary: {plural(len(shown), 'question')} shown of {len(questions)}")
    for q in shown:
        click.echo(f"{q.factor} × {q.outcome}  [{q.contrast}]")  # noqa: RUF001 - the multiplication sign is meant
        from_tests = (f", {q.significance_from_group_test} only from a test across groups"
                      if q.significance_from_group_test else "")
        click.echo(f"   findings     {q.findings}: {q.increases} increase, {q.decreases} decrease, "
                   f"{q.no_changes} no change; {q.significant} significant, {q.not_significant} not, "
                   f"{q.significance_not_reported} not reported{from_tests}")
        if q.indirect:
            click.echo(f"   indirect     {q.indirect}: {q.resting_on_assumptions} resting on assumed values, "
                       f"{q.secondary_quotes} quoting a secondary page")
        click.echo(f"   studies      {q.studies} ({q.independent_studies} independent), "
                   f"{q.participants} participants; designs: {q.designs}")
        click.echo(f"   certainty    {q.certainty.upper()}")
        for step in q.rating:
            change = "" if step.step == "start" else f" ({step.change:+d})"
            click.echo(f"     {step.step:<14}{step.level:<10}{change:<6}{step.reason}")
        click.echo()


@cli.command()
@_store_option
@_data_option
@_format_option(("table", "json"))
def controversies(data_dir: Path | None, fmt: str) -> None:
    """Controversy clusters and the outcomes, questions and studies in most disagreements (networkx)."""
    from .analysis import controversies as analyse

    report = analyse(_build(data_dir))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"Controversy clusters (connected disagreements): {len(report.clusters)}")
    for number, cluster in enumerate(report.clusters, start=1):
        click.echo(f"  {number}. " + "\n     ".join(cluster))
    for title, ranked in (("outcomes", report.contested_outcomes), ("questions", report.contested_questions),
                          ("studies", report.contested_studies)):
        click.echo(f"Most contested {title}:")
        for name, count in ranked[:10]:
            click.echo(f"  {count:>3}  {name}")


@cli.command()
@_store_option
@_data_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("build"),
              show_default=True, help="Directory to write report.html and report.md to.")
@click.option("--limit", type=click.IntRange(min=0), default=200, show_default=True, metavar="N",
              help="Show at most N disagreements, studies and questions in full; the page says how many more there "
                   "are and how to list them. 0: show everything (a large dataset makes a page browsers cannot open).")
def report(data_dir: Path | None, out_dir: Path, limit: int) -> None:
    """Write a self-contained HTML report (with an evidence map) and its Markdown version."""
    from .outputs.report import write_report

    progress = Progress.for_terminal()
    kg = _build(data_dir, progress)
    with progress.stage("writing the report"):
        written = write_report(kg, out_dir, limit)
    _say("wrote: " + ", ".join(str(p) for p in written))


@cli.command("diff")
@click.argument("base")
@click.argument("head")
@_data_option
@_format_option(("text", "markdown", "json"))
@click.option("--fail-on", "fail_on", multiple=True,
              type=click.Choice(["new-violations", "new-disagreements", "certainty-drop"]),
              help="Exit 1 when the change brings this about. Repeatable.")
@click.option("--link-base", default=None, metavar="URL",
              help="Markdown: link record lines under this URL (e.g. https://github.com/OWNER/REPO/blob/SHA).")
@click.option("--sarif", "sarif_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the SHACL results the change introduces, and only those, as SARIF to this file.")
def diff_command(base: str, head: str, data_dir: Path | None, fmt: str, fail_on: tuple[str, ...],
                 link_base: str | None, sarif_file: Path | None) -> None:
    """What a change does to the evidence, from BASE to HEAD: records, disagreements, certainty, SHACL results.

    Each of BASE and HEAD is a dataset directory or a git revision of the repository --data lives in
    (read from git; the working tree is not touched). Exit 0, or 1 when a --fail-on condition holds,
    2 when either side's records cannot be read.
    """
    from .outputs.diff import new_results_sarif, to_json, to_markdown, to_text
    from .pipeline import diff

    found = diff(base, head, data_dir, engine=_engine())
    rendered = {"text": to_text, "json": to_json}.get(fmt, lambda d: to_markdown(d, link_base=link_base))(found)
    if sarif_file is not None:
        from .atomic import write_files
        from .resources import package_version

        sarif = new_results_sarif(found, tool_version=package_version())
        write_files({sarif_file.name: sarif.encode("utf-8")}, sarif_file.parent)
    click.echo(printable(rendered) if fmt == "text" else rendered, nl=False)
    holding = [condition for condition in fail_on if found.holds(condition)]
    for condition in holding:
        _say(f"fails because of --fail-on {condition}")
    if holding:
        sys.exit(EXIT_VIOLATIONS)


@cli.command()
@click.option("--studies", type=click.IntRange(min=1), required=True,
              help="Number of studies to generate (besides those of --hot-question).")
@click.option("--hot-question", "hot_question", type=click.IntRange(min=0), default=0, metavar="M",
              help="Add M more studies (0 for none, else at least 2) on one question, one intervention and one "
                   "outcome: half report an increase and half a decrease, in designs, sample sizes and populations "
                   "that differ between the sides. Its about M*M/4 disagreements are counted in planted.json, with "
                   "examples, not listed; the other studies are the same as without it.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; the same seed gives the same files.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory to write the dataset to: new, empty, or holding an earlier synthetic dataset "
                   "and nothing else (which is replaced).")
def synth(studies: int, hot_question: int, seed: int, out_dir: Path) -> None:
    """Generate a synthetic dataset with known disagreements (listed in planted.json), for tests and benchmarks."""
    from .errors import InputError
    from .synth import generate

    try:
        manifest = generate(studies, seed, out_dir, hot_question=hot_question)
    except (FileExistsError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise InputError(str(out_dir), f"cannot write the dataset: {exc.strerror or exc}") from None
    hot = manifest.hot_question
    _say(f"wrote {plural(manifest.studies, 'study', 'studies')}, {plural(manifest.findings, 'finding')} to "
         f"{out_dir}; planted "
         f"{manifest.opposite_direction_count} opposite-direction and {manifest.effect_vs_null_count} "
         "effect-vs-null disagreements"
         + (f" ({hot.disagreements} of them between the {hot.studies} studies of the hot question)" if hot else ""))


def _export_help() -> str:
    from .outputs.exports import format_list

    return ("Export the graph for a graph database, a linked-data store or another tool.\n\n"
            "\b\nFORMAT is one of:\n" + format_list())


def _export_formats() -> list[str]:
    from .outputs.exports import FORMATS

    return list(FORMATS)


@cli.command()
@_data_option
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Serve the store `build --store` wrote (refused if --data has changed); default: build now.")
@click.option("--bind", default="127.0.0.1:7878", show_default=True, metavar="HOST:PORT",
              help="Where to listen; keep 127.0.0.1 unless others should reach it.")
@click.option("--timeout-s", "timeout_s", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Stop any query after this long (HTTP 503).")
@click.option("--allow-service", is_flag=True,
              help="Run SERVICE clauses, which make the server fetch other URLs; refused by default.")
def serve(data_dir: Path | None, store_dir: Path | None, bind: str, timeout_s: float, allow_service: bool) -> None:
    """A read-only SPARQL endpoint over the graph (Oxigraph's server; SERVICE and updates refused)."""
    import tempfile

    from .endpoint import running_endpoint
    from .outputs.store import write_store

    with tempfile.TemporaryDirectory(prefix="evidencekg-serve-") as scratch:
        if store_dir is None:
            store_dir = write_store(_build(data_dir), Path(scratch) / "store")
        stored = _open_store(store_dir, data_dir)
        with running_endpoint(stored.oxigraph_location, bind, timeout_s=timeout_s,
                              allow_service=allow_service) as url:
            _say(f"SPARQL endpoint: {url} (the query page at {url.removesuffix('sparql')}); Ctrl-C stops it")
            signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped as by Ctrl-C: the servers too
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                _say("stopped")


@cli.command()
@_data_option
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Push the store `build --store` wrote (refused if --data has changed); default: build now.")
@click.option("--endpoint", required=True, metavar="URL",
              help="The store's SPARQL 1.1 Graph Store Protocol URL (Oxigraph: …/store; Fuseki: …/DATASET/data).")
def push(data_dir: Path | None, store_dir: Path | None, endpoint: str) -> None:
    """Upload the named graphs to another store, one PUT per graph (credentials from the environment or netrc)."""
    from .outputs.push import push_graphs

    engine = _build(data_dir).engine if store_dir is None else _open_store(store_dir, data_dir).engine
    for pushed in push_graphs(engine, endpoint):
        _say(f"pushed <{pushed.graph}>: {plural(pushed.triples, 'triple')} (HTTP {pushed.status})")


@cli.command("export", help=_export_help())
@click.argument("fmt", metavar="FORMAT", required=False, type=click.Choice(_export_formats()))
@_store_option
@_data_option
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="File (directory for neo4j, ladybug, kgx) to write. Default: build/evidence.EXT or build/FORMAT.")
@click.option("--list", "list_formats", is_flag=True, help="List the formats, one line each, and exit.")
def export_command(fmt: str | None, data_dir: Path | None, out_path: Path | None, list_formats: bool) -> None:
    from .outputs.exports import export, format_list

    if list_formats:
        click.echo(format_list())
        return
    if fmt is None:
        raise click.UsageError(f"give a FORMAT: {', '.join(_export_formats())} (--list says what each writes)")
    progress = Progress.for_terminal()
    kg = _build(data_dir, progress)
    with progress.stage(f"exporting {fmt}"):
        written = export(kg, fmt, out_path)
    _say("wrote: " + ", ".join(str(p) for p in written))


@cli.command()
@click.argument("kind", type=click.Choice(["study", "vocabulary", "dataset"]), default="study")
def schema(kind: str) -> None:
    """Print the JSON Schema of a record file (for editors' YAML language servers and other validators)."""
    from .records.schema import json_schema

    click.echo(json.dumps(json_schema(kind), indent=2, sort_keys=True))


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def init(directory: Path) -> None:
    """Start a dataset in DIRECTORY: an example study, vocabulary, metadata, schemas, pre-commit and CI files.

    Nothing is overwritten. The new dataset is validated at once; it conforms.
    """
    from .pipeline import validate as validate_target
    from .scaffold import init_dataset

    written = init_dataset(directory)
    _say("wrote: " + ", ".join(str(p) for p in written))
    checked = validate_target(directory, engine=_engine())
    _say(f"{directory}: " + _verdict(checked.report).removeprefix("SHACL: "))
    if not checked.report.passes():  # pragma: no cover - the templates are tested to conform
        sys.exit(EXIT_VIOLATIONS)


@cli.group()
def new() -> None:
    """Write the skeleton of a new record."""


@new.command("study")
@click.argument("study_id", metavar="ID")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Dataset directory (holding vocabulary.yaml) to add the study to.")
def new_study(study_id: str, data_dir: Path) -> None:
    """Write studies/ID.yaml, a commented skeleton of a study record, into a dataset."""
    from .scaffold import new_study as write_skeleton

    _say(f"wrote: {write_skeleton(data_dir, study_id)}")


@cli.command("queries")
def list_queries() -> None:
    """List the named queries and what each answers."""
    from .sparql.named import available_queries, load_query

    for name in available_queries():
        click.echo(f"{name}\n    {load_query(name).summary}")


def _say_usage_error(exc: click.ClickException) -> None:
    """A usage error as every other error: one line with the ``error:`` prefix, and where to read more."""
    context = getattr(exc, "ctx", None)
    hint = f" (see '{context.command_path} --help')" if isinstance(exc, click.UsageError) and context else ""
    _say(f"error: {exc.format_message()}{hint}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; map failures to exit codes instead of tracebacks."""
    from .errors import EvidenceKGError

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="evidencekg", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        _say_usage_error(exc)
        return EXIT_BAD_INPUT
    except click.exceptions.Abort:
        _say("aborted")
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    except EvidenceKGError as exc:
        if debug:
            traceback.print_exc()
        lines = str(exc).splitlines()
        for line in lines[:MAX_ERRORS_SHOWN]:
            _say(f"error: {line}")
        if len(lines) > MAX_ERRORS_SHOWN:
            _say(f"error: … and {plural(len(lines) - MAX_ERRORS_SHOWN, 'more error')} ({len(lines)} in all)")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the one place an unexpected failure becomes a message
        if debug:
            traceback.print_exc()
        _say(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)")
        return EXIT_INTERNAL
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
