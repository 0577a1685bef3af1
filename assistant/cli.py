"""`assistant` command line: a thin layer over the Python API; errors are one line and exit 1."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from assistant.errors import AssistantError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Cited answers about AI compute supply deals.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index the corpus (only changed files are embedded)")
    p.add_argument("paths", nargs="*", help="files to copy, or http(s) URLs to fetch, into the corpus before indexing")
    p.add_argument(
        "--extract-deals",
        action="store_true",
        help="with an LLM backend, propose deals: entries for notes that have none (printed for review)",
    )
    p.add_argument("--rebuild", action="store_true", help="build a fresh index, then switch to it")
    p.add_argument("--verbose", action="store_true", help="print each document as it is stored")
    p.add_argument(
        "--local", action="store_true", help="write the store from this process even when a server is running"
    )

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("--as-of", help="only use sources published on or before this date (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print the full answer record as JSON")
    p.add_argument("--full", action="store_true", help="also print the rest of a shortened list, with its sources")
    p.add_argument("--backend", choices=["extractive", "openai"])
    p.add_argument("--local", action="store_true", help="answer in this process even when a server is running")

    p = sub.add_parser("chat", help="a conversation in the terminal; follow-ups keep their context")
    p.add_argument("--backend", choices=["extractive", "openai"])

    p = sub.add_parser("deals", help="list deals from the deal graph")
    p.add_argument("--supplier")
    p.add_argument("--customer")
    p.add_argument("--as-of")
    p.add_argument("--status")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument(
        "--origin", choices=["ledger", "extracted"], help="extracted: machine-read deals with their quotes and ids"
    )
    p.add_argument("--accept", metavar="ID", help="mark a machine-read deal as reviewed (kept across rebuilds)")

    p = sub.add_parser("companies", help="list companies of the deal graph")
    p.add_argument("--new", action="store_true", help="only companies read from new reports, not in entities.yaml")

    p = sub.add_parser("eval", help="run an evaluation question file and write reports")
    p.add_argument("file", nargs="?")
    p.add_argument("--out", default="out")
    p.add_argument("--backend", choices=["extractive", "openai"])
    p.add_argument(
        "--compare", default="", help="ablations and baselines to run too: no-graph,no-plan,dense,bm25,naive"
    )
    p.add_argument("--diff", nargs=2, metavar=("OLD", "NEW"), help="compare two report.json files")
    p.add_argument(
        "--from-graph",
        type=int,
        metavar="N",
        help="write N starter list and fact questions from the deal ledger to FILE (a new file), then stop",
    )

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--insecure", action="store_true", help="allow a non-loopback host without ASSISTANT_AUTH")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `assistant ask ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace) -> int:
    from assistant.settings import load_settings

    settings = load_settings(
        backend=getattr(args, "backend", None), host=getattr(args, "host", None), port=getattr(args, "port", None)
    )
    if args.command == "serve":
        from assistant.ui import serve

        serve(settings, insecure=args.insecure)
        return 0
    if args.command == "eval" and args.diff:
        from assistant.evaluate import diff_reports

        print(diff_reports(Path(args.diff[0]), Path(args.diff[1])))
        return 0
    if args.command == "eval" and args.from_graph is not None:
        return _write_starter(settings, args.file, args.from_graph)
    if args.command == "ask" and not args.local and not args.backend:
        answer = _ask_resident(settings, args.question, args.as_of)
        if answer is not None:
            return _print_answer(answer, args.json, args.full)
    from assistant.api import Assistant

    if args.command == "ingest":
        from assistant.corpus_add import add_files, fetch_url
        from assistant.entities import EntityTable

        urls = [p for p in args.paths if p.startswith(("http://", "https://"))]
        added = add_files(
            [Path(p) for p in args.paths if p not in urls],
            settings.corpus_dir,
            lambda line: print(f"warning: {line}", file=sys.stderr),
        )
        entities = EntityTable.load(Path(settings.corpus_dir) / "entities.yaml")
        added += [fetch_url(url, settings.corpus_dir, entities, settings.allow_private_urls) for url in urls]
        for path in added:
            print(f"added {path}")
        if args.extract_deals:
            _propose_deals(Assistant(settings, build=False), added)
        if not args.local:
            resident = _ingest_resident(settings, args.rebuild)
            if resident is not None:
                return _print_ingest_report(resident, "through the running app")
        assistant = Assistant(settings, build=False)
        echo = (lambda doc_id: print(f"stored {doc_id}", flush=True)) if args.verbose else None
        report = assistant.ingest(rebuild=args.rebuild, on_document=echo)
        return _print_ingest_report(report.to_dict(), "")
    assistant = Assistant(settings)
    if args.command == "ask":
        return _print_answer(assistant.ask(args.question, as_of=args.as_of), args.json, args.full)
    if args.command == "deals":
        from assistant import render

        if args.accept:
            print(f"accepted {args.accept.strip()}: written to {assistant.accept_deal(args.accept)}")
            return 0
        if args.origin == "extracted" and args.format == "table":
            print(render.extracted_list(assistant.extracted_deals()))
            return 0
        deals = assistant.deals(
            supplier=args.supplier, customer=args.customer, as_of=args.as_of, status=args.status, origin=args.origin
        )
        print({"table": render.deals_table, "csv": render.deals_csv, "json": render.deals_json}[args.format](deals))
        return 0
    if args.command == "companies":
        from assistant import render

        print(render.companies_list(assistant.companies(new=args.new), args.new))
        return 0
    if args.command == "chat":
        return _chat(assistant)
    if args.command == "eval":
        from assistant.evaluate import run_cli

        if not args.file:
            raise AssistantError("give a question file, e.g. assistant eval eval/questions.jsonl")
        return run_cli(assistant, Path(args.file), Path(args.out), [c for c in args.compare.split(",") if c])
    return 2


def _write_starter(settings, file: str | None, count: int) -> int:
    """`eval --from-graph N FILE`: starter questions from the deal ledger, into a new file."""
    from assistant.api import Assistant
    from assistant.eval_starter import check_target, write_starter

    path = check_target(file, count)  # before the index is opened: a bad target fails at once
    written = write_starter(Assistant(settings).deals(), count, path)
    print(f"wrote {written} questions to {path}; run: assistant eval {path}")
    return 0


def _propose_deals(assistant, paths: list[Path]) -> None:
    """Print proposed `deals:` entries for review; nothing is written into the notes."""
    import yaml

    from assistant.corpus import load_corpus
    from assistant.llm import propose_deals

    if assistant.llm is None:
        raise AssistantError("--extract-deals needs an LLM backend: set ASSISTANT_BACKEND=openai")
    docs, _ = load_corpus(Path(assistant.settings.corpus_dir), assistant.entities)
    wanted = {p.resolve() for p in paths}
    for doc in docs:
        target = (Path(assistant.settings.corpus_dir) / doc.doc_id).resolve()
        if doc.deals or (wanted and target not in wanted):
            continue
        proposals = propose_deals(assistant.llm, doc.body)
        print(f"# proposed deals for {doc.doc_id} (review, then paste into its front matter)")
        print(
            yaml.safe_dump({"deals": proposals}, sort_keys=False, allow_unicode=True) if proposals else "# none found\n"
        )


def _print_answer(answer, as_json: bool, full: bool = False) -> int:
    """The answer and the sources its text cites; `full` adds the details a list answer keeps apart."""
    if as_json:
        import json

        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    import re
    from dataclasses import replace

    from assistant.render import answer_text

    if full and answer.details:
        answer = replace(answer, text=f"{answer.text}\n\n{answer.details}")
    shown = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    print(answer_text(replace(answer, citations=tuple(c for c in answer.citations if c.number in shown))))
    return 0


def _ask_resident(settings, question: str, as_of: str | None):
    """Ask a running `assistant serve` on the configured host and port, if one answers at once.

    Saves the model and index load (several seconds) on every `assistant ask`; None when no server is up.
    """
    from assistant.types import Answer

    reply = _post_resident(settings, "/api/ask", {"question": question, "as_of": as_of}, settings.llm_timeout + 30)
    try:
        return None if reply is None else Answer.from_dict(reply)
    except (ValueError, KeyError, TypeError):
        return None


def _ingest_resident(settings, rebuild: bool) -> dict | None:
    """Have a running `assistant serve` index the corpus folder, so its store keeps a single writer.

    The files are already in the corpus folder; None when no server is up (the caller ingests itself).
    """
    reply = _post_resident(settings, "/api/ingest", {"rebuild": rebuild}, None)
    return reply if reply is not None and "chunks" in reply else None


def _post_resident(settings, route: str, payload: dict, timeout: float | None) -> dict | None:
    """POST JSON to our server on the configured host and port; None when none is listening there."""
    import json
    import socket
    import urllib.error
    import urllib.request

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "localhost") else settings.host
    try:
        socket.create_connection((host, settings.port), timeout=0.2).close()
    except OSError:
        return None
    headers = {"Content-Type": "application/json"}
    if settings.auth:
        headers["Authorization"] = f"Bearer {settings.auth.partition(':')[2]}"
    request = urllib.request.Request(
        f"http://{host}:{settings.port}{route}", method="POST", headers=headers, data=json.dumps(payload).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = json.loads(reply.read())
            return body if isinstance(body, dict) else None
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return None  # not our server: work locally
        raise AssistantError(message) from None
    except (OSError, ValueError):
        return None


def _print_ingest_report(report: dict, where: str) -> int:
    print(
        f"added {report['added']}, updated {report['updated']}, removed {report['removed']}, "
        f"unchanged {report['unchanged']}; {report['chunks']} chunks ({report['embedded']} embedded) "
        f"in {report['seconds']:.1f}s{' ' + where if where else ''}"
    )
    for line in report.get("errors") or ():
        print(f"error: {line}", file=sys.stderr)
    return 1 if report.get("errors") else 0


def _chat(assistant) -> int:
    from assistant.render import answer_text
    from assistant.types import Answer

    chat = assistant.chat()
    print("Ask about AI compute deals. Empty line or Ctrl-D to quit; /reset starts over.")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        if question == "/reset":
            chat.reset()
            continue
        try:
            for event in chat.stream(question):
                if isinstance(event, Answer):
                    print("\n" + answer_text(event) + "\n")
        except AssistantError as exc:
            print(f"error: {exc}")


if __name__ == "__main__":
    sys.exit(main())
