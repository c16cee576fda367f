"""Workdays and the end of legal terms per the Algemene termijnenwet (Atw, BWBR0002448).

Deadlines in the chain count workdays ("DUO must have the PIP within 10 workdays", "chain data
registered more than 10 workdays after the event raises a signaal"). A workday is a day that is
not a Saturday, Sunday or algemeen erkende feestdag in the sense of art. 3 Atw:

    Art. 3 lid 1: "Algemeen erkende feestdagen in de zin van deze wet zijn: de Nieuwjaarsdag,
    de Christelijke tweede Paas- en Pinksterdag, de beide Kerstdagen, de Hemelvaartsdag, de dag
    waarop de verjaardag van de Koning wordt gevierd en de vijfde mei."

    Art. 3 lid 2: "Voor de toepassing van deze wet wordt de Goede Vrijdag met de in het vorige
    lid genoemde dagen gelijkgesteld."

The calendar is the ``holidays`` library's Netherlands calendar, adjusted to the law:

- 5 May counts **every** year (the library's public calendar has it only every fifth year,
  as many CAOs do; it keeps the yearly day in its ``OPTIONAL`` category, which is used here);
- Eerste Paasdag and Eerste Pinksterdag are dropped: the law does not list them (they are
  Sundays, so no workday either way, but ``feestdagen`` lists exactly the Atw days);
- Goede Vrijdag stays: art. 3 lid 2 puts it on a par with the feestdagen;
- Koningsdag is "de dag waarop de verjaardag van de Koning wordt gevierd": 27 April, or
  Saturday 26 April when the 27th is a Sunday (Besluit viering Koningsdag); the library does
  exactly that (and Koninginnedag before 2014).

Not covered: days the Crown puts on a par by besluit (art. 3 lid 3, published in the
Staatscourant per period, e.g. the Friday after Hemelvaartsdag). Any other name the library
adds to its calendar fails loudly (``AtwKalenderFout``) instead of silently becoming a
feestdag.

Pure functions of dates, no I/O: callers take "today" from ``keten_core.clock``.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from functools import cache

from holidays.constants import OPTIONAL, PUBLIC
from holidays.countries import Netherlands

# The library's Dutch names (language "nl", its source strings) of the Atw days ...
ATW_NAMEN = frozenset(
    {
        "Nieuwjaarsdag",
        "Goede vrijdag",  # art. 3 lid 2
        "Tweede paasdag",
        "Koningsdag",
        "Koninginnedag",  # before 2014
        "Bevrijdingsdag",  # "de vijfde mei"
        "Hemelvaartsdag",
        "Tweede pinksterdag",
        "Eerste kerstdag",
        "Tweede kerstdag",
    }
)
# ... and of the days it has that the law does not list.
NIET_IN_ATW = frozenset({"Eerste paasdag", "Eerste pinksterdag"})

# The Atw entered into force on 1 April 1965; the library's calendar starts in 1966 and ends
# in 2100. Outside that span it would answer "no feestdag" without knowing: refuse instead.
EERSTE_JAAR = 1966
LAATSTE_JAAR = 2100

_DAG = timedelta(days=1)


class AtwKalenderFout(RuntimeError):
    """The holidays library has a day this module does not know to keep or drop."""


@cache
def _kalender() -> Netherlands:
    """All years at once and ``expand=False``: the object is never changed after it is built,
    so threads (FastAPI's sync routes) can share it without a lock."""
    kalender = Netherlands(
        years=range(EERSTE_JAAR, LAATSTE_JAAR + 1),
        categories=(PUBLIC, OPTIONAL),
        language="nl",
        expand=False,
    )
    for dag in list(kalender):
        namen = kalender.get_list(dag)
        onbekend = set(namen) - ATW_NAMEN - NIET_IN_ATW
        if onbekend:
            raise AtwKalenderFout(
                f"the holidays library lists {sorted(onbekend)} on {dag}: decide whether the "
                "Algemene termijnenwet covers it (ATW_NAMEN or NIET_IN_ATW)"
            )
        kalender.pop(dag)
        for naam in dict.fromkeys(namen):  # in order, once each
            if naam in ATW_NAMEN:
                kalender[dag] = naam  # a second name on one day is joined by the library
    return kalender


_bouw_lock = threading.Lock()


def _atw() -> Netherlands:
    with _bouw_lock:  # build once, even when two threads ask first
        return _kalender()


def _binnen_bereik(*dagen: date) -> None:
    for dag in dagen:
        if not EERSTE_JAAR <= dag.year <= LAATSTE_JAAR:
            raise ValueError(f"{dag}: workdays are known for {EERSTE_JAAR}-{LAATSTE_JAAR} only")


def feestdagen(jaar: int) -> dict[date, str]:
    """The Atw feestdagen of ``jaar`` (art. 3 lid 1 and 2), by date, in date order; two on
    one day (Hemelvaartsdag on 5 May) share one entry with both names."""
    _binnen_bereik(date(jaar, 1, 1))
    kalender = _atw()
    return {dag: kalender[dag] for dag in sorted(kalender) if dag.year == jaar}


def is_feestdag(dag: date) -> bool:
    _binnen_bereik(dag)
    return dag in _atw()


def is_werkdag(dag: date) -> bool:
    """Neither a Saturday, a Sunday nor an Atw feestdag."""
    _binnen_bereik(dag)
    return bool(_atw().is_working_day(dag))


def plus_werkdagen(dag: date, n: int) -> date:
    """The ``n``-th workday after ``dag`` (``dag`` itself never counts, workday or not); before
    it for negative ``n``; ``dag`` itself for 0. "Within 10 workdays of the event" means on or
    before ``plus_werkdagen(event, 10)``."""
    if n == 0:
        # The library's n=0 would move a non-workday forward: that is art. 1, not counting.
        return dag
    _binnen_bereik(dag)
    uitkomst: date = _atw().get_nth_working_day(dag, n)
    _binnen_bereik(uitkomst)
    return uitkomst


def werkdagen_tussen(van: date, tot: date) -> int:
    """The number of workdays after ``van`` up to and including ``tot``: ``van`` excluded,
    ``tot`` included, in either direction (negative when ``tot`` lies before ``van``), so
    ``werkdagen_tussen(d, plus_werkdagen(d, n)) == n`` for every ``n``.

    The 10-workday rule: registered later than the 10th workday after the event date, i.e.
    ``werkdagen_tussen(event, registered) > 10``."""
    if tot == van:
        return 0
    _binnen_bereik(van, tot)
    # The library counts the closed interval [start, end].
    if tot > van:
        return int(_atw().get_working_days_count(van + _DAG, tot))
    return -int(_atw().get_working_days_count(tot, van - _DAG))


def verleng_tot_werkdag(einde: date) -> date:
    """Art. 1 lid 1 Atw: "Een in een wet gestelde termijn die op een zaterdag, zondag of
    algemeen erkende feestdag eindigt, wordt verlengd tot en met de eerstvolgende dag die niet
    een zaterdag, zondag of algemeen erkende feestdag is."

    ``einde`` is the last day of a term counted in calendar days, weeks or months (the 3-month
    rule); a term already counted in workdays (``plus_werkdagen``) ends on a workday. Whether
    the Atw applies at all is the caller's: art. 1 lid 2 excludes terms counted back from a
    moment, art. 4 lists more exceptions."""
    _binnen_bereik(einde)
    uitkomst: date = _atw().get_nth_working_day(einde, 0)
    return uitkomst
