"""``keten dossier-bron ...`` is found through the ``keten.commands`` entry point (installed by
``./dev/setup``), and routes to the jobs' own options and runners."""

from __future__ import annotations

from datetime import date

from dossier_bron import bewaartermijnen, bewaking
from keten_core.cli import build_parser


def test_the_service_commands_come_from_the_installed_entry_point():
    args = build_parser().parse_args(
        ["dossier-bron", "bewaartermijnen", "--peildatum", "2031-02-01"]
    )
    assert args.handler is bewaartermijnen.run
    assert args.peildatum == date(2031, 2, 1) and args.uitvoeren is False
    assert build_parser().parse_args(["dossier-bron", "termijnbewaking"]).handler is bewaking.run
    bench = build_parser().parse_args(["dossier-bron", "bench", "--rate", "20"])
    assert bench.rate == 20.0 and bench.writes > 0


def test_a_run_that_deletes_takes_no_other_date_than_today(capsys):
    args = build_parser().parse_args(
        ["dossier-bron", "bewaartermijnen", "--uitvoeren", "--peildatum", "2031-02-01"]
    )
    assert args.handler(args) == 2
    assert "dry run only" in capsys.readouterr().err
