"""The org import's line problems on the page hold no English on a Chinese page (issue
18): a row's kind that is neither allowed value names the values as the data they are
(quoted, translate="no") in a Chinese sentence; English keeps its words."""

from __future__ import annotations

import pytest

from careerflow.api.pages.org_import import _problem
from careerflow.applications.org_files import _row
from tests.language import other_language


def kind_problem(lang: str) -> str:
    found, problems = _row(3, {"kind": "person", "name": "x"})
    assert found is None and len(problems) == 1
    return str(_problem(problems[0], lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wrong_kind_is_said_in_one_language(lang: str) -> None:
    said = kind_problem(lang)
    assert not other_language(f"<p>{said}</p>", lang), said
    for value in ("kind", "person", "team", "employee"):
        assert f'<code translate="no">{value}</code>' in said, said


def test_the_sentences() -> None:
    assert "团队" in kind_problem("zh") and "员工" in kind_problem("zh")
    english = kind_problem("en")
    assert english.startswith("line 3: ") and "is neither" in english and " nor " in english
