"""``keten-contracts``: the vendor and CI tool for the chain's contracts.

keten-contracts validate FILE...   validate events (structured JSON or Kafka dumps; '-' = stdin);
                                   ends with a summary line, fails when nothing was checked
keten-contracts types              list the event types with topic, producers and recipients
keten-contracts render             regenerate JSON Schemas, asyncapi.yaml and CATALOGUE.md
keten-contracts check              fail when a rendering is stale or a breaking change is
                                   not announced
keten-contracts release            snapshot the current schemas as released (maintainers)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path


class _NothingToCheck(ValueError):
    """The file holds no event or Kafka message (empty, or an empty batch)."""


def _load(name: str) -> object:
    text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    if not text.strip():
        raise _NothingToCheck("empty file")
    return json.loads(text)


def _validate(args: argparse.Namespace) -> int:
    """Validate every file; print each failure and one summary line.

    A run that checks nothing (an empty file, ``[]``) fails: a CI step fed an empty dump
    must not pass silently.
    """
    from keten_contracts.validation import validate_document

    checked = 0  # events and Kafka messages validated
    invalid = 0  # of those, the ones that failed
    unchecked = 0  # files that could not be read, were no JSON, or held nothing
    for name in args.files:
        try:
            document = _load(name)
        except _NothingToCheck:
            print(f"{name}: nothing to check (empty file)")
            unchecked += 1
            continue
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{name}: cannot read: {exc}")
            unchecked += 1
            continue
        except json.JSONDecodeError as exc:
            print(f"{name}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
            unchecked += 1
            continue
        reports = validate_document(document, name)
        if not reports:
            print(f"{name}: nothing to check (empty batch: no event or Kafka message)")
            unchecked += 1
            continue
        for report in reports:
            checked += 1
            if report.ok:
                if not args.quiet:
                    print(f"{report.label}: OK ({report.event_type})")
                continue
            invalid += 1
            print(f"{report.label}: INVALID ({report.event_type or 'unknown type'})")
            for error in report.errors:
                print(f"  - {error}")
    files = len(args.files)
    summary = f"checked {checked} event(s)/message(s) in {files} file(s): {invalid} failed"
    if unchecked:
        summary += f", {unchecked} file(s) not checked"
    if checked == 0:
        print(f"{summary}; nothing to check")
        return 1
    print(summary)
    return 1 if invalid or unchecked else 0


def _types(_: argparse.Namespace) -> int:
    from keten_contracts.events import all_event_types

    for et in all_event_types():
        producers = ",".join(sorted(r.value for r in et.producers))
        recipients = ",".join(sorted(r.value for r in et.recipients))
        flag = " [personal data]" if et.personal_data else ""
        print(f"{et.type}\t{et.topic}\t{producers} -> {recipients}{flag}")
    return 0


def _render(_: argparse.Namespace) -> int:
    from keten_contracts.render import write_rendered

    changed = write_rendered()
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} file(s) changed")
    return 0


def _check(_: argparse.Namespace) -> int:
    from keten_contracts.render import contracts_dir, stale_files
    from keten_contracts.versioning import released_version, unannounced_breaking_changes

    status = 0
    stale = stale_files()
    for problem in stale:
        print(f"stale: {problem}")
    if stale:
        print("run `keten-contracts render` and commit the result")
        status = 1
    if contracts_dir() is None:
        print("note: not a source checkout; CATALOGUE.md not checked")
    breaking = unannounced_breaking_changes()
    for rel, changes in breaking.items():
        for change in changes:
            print(f"breaking: {rel}: {change}")
    if breaking:
        print(
            f"unannounced breaking change(s) against release {released_version()}: make a new "
            "major type (v2) or announce it (VERSIONING.md)"
        )
        status = 1
    if status == 0:
        print(f"renderings fresh; compatible with release {released_version()}")
    return status


def _release(_: argparse.Namespace) -> int:
    from keten_contracts.versioning import release

    print(f"released schemas written to {release()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="keten-contracts", description="Contracts of the Wet inburgering chain."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="validate events against the catalogue")
    validate.add_argument("files", nargs="+", help="JSON files ('-' for stdin)")
    validate.add_argument("-q", "--quiet", action="store_true", help="print only failures")
    validate.set_defaults(func=_validate)
    sub.add_parser("types", help="list the event types").set_defaults(func=_types)
    sub.add_parser("render", help="regenerate the rendered files").set_defaults(func=_render)
    sub.add_parser("check", help="fail on stale renderings or breaking changes").set_defaults(
        func=_check
    )
    sub.add_parser("release", help="snapshot the released schemas").set_defaults(func=_release)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
