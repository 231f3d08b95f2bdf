"""ISO weeks for the pages' previous/next links (2026-W01's previous is 2025-W52 or -W53)."""

from __future__ import annotations

from datetime import date, timedelta


def shift_week(week: str, weeks: int) -> str:
    year, number = (int(part) for part in week.split("-W"))
    moved = date.fromisocalendar(year, number, 1) + timedelta(weeks=weeks)
    iso = moved.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"
