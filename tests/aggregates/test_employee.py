"""The employee aggregate's profile language."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates.base import DomainError
from aggregates.employee import Employee
from aggregates.ladder import Role


def hired() -> Employee:
    return Employee("E1", "One", Role.sales_rep, "T1", "S1", date(2024, 1, 2))


def test_the_profile_language_defaults_to_chinese_and_changes_once() -> None:
    employee = hired()
    assert employee.locale == "zh"
    assert employee.set_language("zh") is False  # already so: no event
    assert employee.set_language("en") is True
    assert employee.set_language("en") is False
    kinds = [type(e).__name__ for e in employee.collect_events()]
    assert kinds == ["Hired", "LanguageSet"]
    assert employee.locale == "en"


@pytest.mark.parametrize("language", ["fr", "", "EN", "zh-CN"])
def test_only_a_language_the_engine_speaks(language: str) -> None:
    employee = hired()
    with pytest.raises(DomainError) as refused:
        employee.set_language(language)
    assert str(refused.value) == f"unknown language {language!r}; choose one of: zh, en"
    assert [type(e).__name__ for e in employee.collect_events()] == ["Hired"]
