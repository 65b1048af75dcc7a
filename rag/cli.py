"""Command line: `python -m rag index`, `python -m rag ask "..."`, `python -m rag eval Q.jsonl --out R.jsonl`.

Only wiring: settings come from `RAG_*` variables and options; user-facing errors become a
one-line message on stderr and the error's exit code.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from .errors import RagError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grounded Q&A over the documents in the corpus directory.")


def _settings(corpus: Optional[Path], index: Optional[Path]):
    from .config import Settings

    overrides = {k: v for k, v in {"corpus_dir": corpus, "index_dir": index}.items() if v is not None}
    return Settings(**overrides)


def _fail(exc: RagError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(exc.exit_code)


CorpusOpt = typer.Option(None, "--corpus", help="corpus directory (default: RAG_CORPUS_DIR or ./corpus)")
IndexOpt = typer.Option(None, "--index", help="index directory (default: RAG_INDEX_DIR or ./index)")


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log what happens")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        _settings(None, None)  # bad RAG_* variables are reported before any work
    except RagError as exc:
        _fail(exc)


@app.command("index")
def index_cmd(
    rebuild: bool = typer.Option(False, "--rebuild", help="rebuild even if the index is up to date"),
    corpus: Optional[Path] = CorpusOpt,
    index: Optional[Path] = IndexOpt,
) -> None:
    """Build the index (or check it is fresh) for the corpus."""
    from .index import ensure

    try:
        settings = _settings(corpus, index)
        idx = ensure(settings, rebuild=rebuild)
    except RagError as exc:
        _fail(exc)
    m = idx.manifest
    typer.echo(f"index ready in {settings.index_dir}: {m.get('chunks')} passages, {m.get('sentences')} sentences, "
               f"{len(m['files'])} files, model {m['model']}")


@app.command("ask")
def ask_cmd(
    question: str = typer.Argument(..., help="the question, in Korean or English"),
    as_json: bool = typer.Option(False, "--json", help="print the full answer as JSON"),
    history: list[str] = typer.Option([], "--history", help="an earlier question of the conversation (repeatable)"),
    corpus: Optional[Path] = CorpusOpt,
    index: Optional[Path] = IndexOpt,
) -> None:
    """Answer one question with numbered citations."""
    from .text import warm_up_in_background

    warm_up_in_background()
    try:
        from .chat import Pipeline, check_question

        settings = _settings(corpus, index)
        check_question(question, settings.max_question_chars)  # before the index is loaded or built
        pipeline = Pipeline(settings)
        ans = pipeline.answer(question, history)
    except RagError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(ans.text)
    if ans.generated:
        typer.echo("(written by a language model from the sources below)")
    elif ans.guard:
        typer.echo(f"(a generated answer was withheld: {ans.guard}; the document's own sentence is shown)")
    label = "related" if ans.abstained else "sources"
    shown = ans.contexts[:3] if ans.abstained else ans.citations
    if shown:
        typer.echo(f"\n{label}:")
    for i, c in enumerate(shown, 1):
        n = c.n or i
        snippet = c.text.replace("\n", " ")
        heading = " · ".join(part for part in (c.title or c.source, c.source_name, c.date) if part)
        typer.echo(f"[{n}] {heading}{f' <{c.url}>' if c.url else ''}\n    {snippet[:200]}{'…' if len(snippet) > 200 else ''}")


@app.command("eval")
def eval_cmd(
    questions: Path = typer.Argument(..., help="questions JSONL (schema in shared/README.md)"),
    out: Path = typer.Option(..., "--out", "-o", help="where to write the results JSONL"),
    corpus: Optional[Path] = CorpusOpt,
    index: Optional[Path] = IndexOpt,
    progress: bool = typer.Option(True, help="show a progress bar"),
    server: Optional[str] = typer.Option(None, "--server", help="ask a running app's API instead, e.g. http://127.0.0.1:7860/"),
    generator: Optional[str] = typer.Option(None, "--generator", help="extractive | transformers | openai (default RAG_GENERATOR)"),
) -> None:
    """Answer every question of a JSONL file, write the results contract, print the metrics."""
    from .eval import evaluate, format_metrics

    if generator not in (None, "extractive", "transformers", "openai"):
        raise typer.BadParameter(f"{generator!r}: use extractive, transformers or openai", param_hint="--generator")
    try:
        m = evaluate(questions, out, corpus=corpus, index=index, server=server, progress=progress, generator=generator)
    except RagError as exc:
        _fail(exc)
    written = m.pop("written")
    typer.echo(f"wrote {written} results to {out}")
    typer.echo(format_metrics(m))


def main() -> None:
    app(prog_name="rag")


if __name__ == "__main__":
    sys.exit(main())
