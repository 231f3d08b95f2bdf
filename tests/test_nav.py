"""The header's links: every one leads to a page of the app, each role gets its own, and
the page one is on is marked (no server needed)."""

from __future__ import annotations

from careerflow.api.pages import nav, router
from careerflow.principal import AccessRole, Principal


def test_every_link_is_a_page() -> None:
    paths = {getattr(route, "path", None) for route in router.routes}
    dead = [p for links in nav.NAV.values() for p, _ in links if p not in paths]
    assert dead == []


def test_each_role_sees_its_links_and_nobody_signed_out_sees_any() -> None:
    assert nav.links(None) == []
    for role in (AccessRole.employee, AccessRole.manager, AccessRole.hr, AccessRole.auditor):
        assert nav.links(Principal(person_id="X", role=role)), role
    rep = [p for p, _ in nav.links(Principal(person_id="E1", role=AccessRole.employee))]
    assert "/hr" not in rep and "/audit" not in rep


def test_the_current_page_is_the_longest_matching_link() -> None:
    links = [("/hr", "HR"), ("/hr/pool", "Pool"), ("/audit", "Audit")]
    assert nav.current("/hr/pool", links) == "/hr/pool"
    assert nav.current("/hr/pool/x", links) == "/hr/pool"
    assert nav.current("/hr", links) == "/hr"
    assert nav.current("/hrx", links) is None
