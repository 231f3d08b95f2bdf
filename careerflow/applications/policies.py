"""Publishing and reading versioned policy documents: the Policies application's
commands, and the documents in force for every other command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier
from pydantic import BaseModel, TypeAdapter, ValidationError

from aggregates.base import DomainError, command_context
from aggregates.competency import CompetencyModel, competency_model_problems
from aggregates.documents import (
    MetricCatalog,
    PotentialWeights,
    PromotionCriteria,
    consistency_problems,
)
from aggregates.kpi_weights import KpiWeights, kpi_problems, weighted_twice
from aggregates.not_found import unpublished_policy
from aggregates.plan_template import PlanTemplate, plan_template_problems
from aggregates.policy import PolicyDocument, PolicyVersion, policy_uuid
from aggregates.policy_kinds import DOCUMENT_MODELS as DOCUMENT_MODELS
from aggregates.policy_kinds import field_problem as field_problem
from aggregates.policy_kinds import not_fitting, validate_document
from aggregates.process import PromotionProcess
from aggregates.seed_policies import seed_documents
from aggregates.training_rules import TrainingRules, training_rule_problems
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal
from careerflow.validation import error_message, field_of
from words.messages import Message

M = TypeVar("M", bound=BaseModel)


def require_publisher(principal: Principal) -> None:
    """HR (or the engine) publishes policy documents."""
    principal.require(AccessRole.hr, AccessRole.system, action=Message("publish policy documents"))


class Policies(PydanticApplication):
    """Versioned policy documents."""

    name = "policies"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {PolicyDocument: 10}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=env)
        # A published version never changes, so documents are kept once read: each
        # document with the stream version it was read at (a read checks only that no
        # version was published since: one indexed row), and each parsed version.
        self._read: dict[tuple[str, str], PolicyDocument] = {}
        self._parsed: dict[tuple[type[BaseModel], str, int], BaseModel] = {}

    def publish(
        self, principal: Principal, kind: str, key: str, document: dict[str, Any], note: str
    ) -> int:
        require_publisher(principal)
        parsed = validate_document(kind, key, document)
        problems = self._consistency(parsed)
        if problems:
            refusal = not_fitting(kind, key, problems)
            raise DomainError(refusal)
        data = parsed.model_dump(mode="json")
        with command_context(actor=principal.person_id, role=principal.role.value):
            # Freshly loaded, never the kept copy: a failed save must not leave its
            # unsaved version in the cache.
            doc = self.find(policy_uuid(kind, key))
            if doc is None:
                doc = PolicyDocument(kind=kind, key=key)
            version = doc.publish(data, note=note, published_by=principal.person_id)
            self.save(doc)
        return version

    def seed(self, principal: Principal) -> dict[str, int]:
        """Publishes the version-1 documents of domain.md where none exists yet."""
        published: dict[str, int] = {}
        for kind, key, document in [
            *seed_documents(),
            ("promotion_process", "default", PromotionProcess()),
        ]:
            if self._get(kind, key) is None:
                published[f"{kind}/{key}"] = self.publish(
                    principal, kind, key, document.model_dump(mode="json"), "seed (domain.md)"
                )
        return published

    def validate(self, kind: str, key: str, document: dict[str, Any]) -> BaseModel:
        """A document parsed and checked on its own, as publishing does first."""
        return validate_document(kind, key, document)

    def draft_problems(
        self, kind: str, key: str, document: dict[str, Any]
    ) -> list[tuple[str, Message]]:
        """What stands between a draft and publishing, each with the field it concerns:
        the document's fields first, then its key, then the checks against the policies
        in force. Empty: it would publish. (The API, the pages and the CLI ask this.)"""
        model = DOCUMENT_MODELS.get(kind)
        if model is None:
            kinds = ", ".join(sorted(DOCUMENT_MODELS))
            return [
                (
                    "kind",
                    Message(
                        "unknown policy kind {kind!r}; one of: {kinds}", kind=kind, kinds=kinds
                    ),
                )
            ]
        try:
            TypeAdapter(model).validate_python({"kind": kind, **document})
        except ValidationError as exc:
            return [
                (f"document.{field_of(err, drop=())}", error_message(err)) for err in exc.errors()
            ]
        try:
            parsed = validate_document(kind, key, document)
        except DomainError as exc:
            return [("key", exc.message)]
        return [("document", message) for message in self.consistency_messages(parsed)]

    def consistency(self, parsed: BaseModel) -> list[str]:
        """What stops a parsed document from being published beside those in force
        (in English; `consistency_messages` for the reader's language)."""
        return [str(problem) for problem in self.consistency_messages(parsed)]

    def consistency_messages(self, parsed: BaseModel) -> list[Message]:
        """What stops a parsed document from being published beside those in force."""
        return self._consistency(parsed)

    def _consistency(self, parsed: BaseModel) -> list[Message]:
        """Cross-document checks: every metric and course a document names must exist."""
        if isinstance(parsed, MetricCatalog):
            return consistency_problems(parsed)
        if not isinstance(
            parsed,
            PotentialWeights
            | KpiWeights
            | PromotionCriteria
            | PlanTemplate
            | TrainingRules
            | CompetencyModel,
        ):
            return []
        doc = self._get("metric_catalog", "default")
        if doc is None or doc.current is None:
            return [Message("publish the metric catalog first")]
        catalog = MetricCatalog.model_validate(doc.current.document)
        if isinstance(parsed, KpiWeights):
            return kpi_problems(parsed, catalog, self.in_force_if_any(PotentialWeights)[0])
        if isinstance(parsed, PotentialWeights):
            kpis = self.in_force_if_any(KpiWeights)[0]
            twice = weighted_twice(kpis, parsed) if kpis else []
            return consistency_problems(catalog, weights=parsed) + twice
        if isinstance(parsed, PlanTemplate):
            return plan_template_problems(parsed, catalog)
        if isinstance(parsed, TrainingRules):
            return training_rule_problems(parsed, catalog)
        if isinstance(parsed, CompetencyModel):
            return competency_model_problems(parsed, catalog)
        return consistency_problems(catalog, criteria=parsed, competencies=self._competencies())

    def _competencies(self) -> dict[str, int]:
        """The competency model in force: each competency's id and the scale's top level
        (empty while none is published)."""
        doc = self._get("competency_model", "default")
        if doc is None or doc.current is None:
            return {}
        model = CompetencyModel.model_validate(doc.current.document)
        return {c.id: model.top for c in model.competencies}

    def promotion_process(self) -> tuple[PromotionProcess, int | None]:
        """The process settings in force (defaults until a version is published)."""
        doc = self._get("promotion_process", "default")
        if doc is None or doc.current is None:
            return PromotionProcess(), None
        return PromotionProcess.model_validate(doc.current.document), doc.current.version

    def in_force_if_any(self, model: type[M], key: str = "default") -> tuple[M | None, int | None]:
        """The document of `model`'s kind in force with its version, (None, None) while
        none is published (an install from before the kind existed)."""
        kind = model.model_fields["kind"].default
        doc = self._get(kind, key)
        if doc is None or doc.current is None:
            return None, None
        found, version = self.in_force(model, key)
        return found, version

    def in_force(self, model: type[M], key: str = "default") -> tuple[M, int]:
        """The document of `model`'s kind in force, parsed, with its version."""
        kind = model.model_fields["kind"].default
        current = self.current(kind, key)
        cache_key = (model, key, current.version)
        parsed = self._parsed.get(cache_key)
        if parsed is None:  # documents are frozen models: one parse serves every reader
            parsed = self._parsed[cache_key] = model.model_validate(current.document)
        return cast(M, parsed), current.version

    def in_force_each(
        self, wanted: Sequence[tuple[type[BaseModel], str]]
    ) -> list[tuple[BaseModel | None, int | None]]:
        """Each (model, key)'s document in force, parsed, with its version ((None, None)
        while none is published): what `in_force_if_any` gives for each, with one query
        for all their stream versions instead of one per document (a promotion report
        asks for four). Kept documents and parsed versions are shared with the others."""
        kinds = [(model.model_fields["kind"].default, key) for model, key in wanted]
        latest = self._stream_versions([policy_uuid(kind, key) for kind, key in kinds])
        found: list[tuple[BaseModel | None, int | None]] = []
        for (model, key), (kind, _) in zip(wanted, kinds, strict=True):
            ident = policy_uuid(kind, key)
            version = latest.get(ident)
            doc = self._read.get((kind, key)) if version is not None else None
            if version is not None and (doc is None or doc.version != version):
                doc = self.find(ident)
                if doc is not None:
                    self._read[(kind, key)] = doc
            if doc is None or doc.current is None:
                found.append((None, None))
                continue
            cache_key = (model, key, doc.current.version)
            parsed = self._parsed.get(cache_key)
            if parsed is None:  # frozen models: one parse serves every reader
                parsed = self._parsed[cache_key] = model.model_validate(doc.current.document)
            found.append((parsed, doc.current.version))
        return found

    def _stream_versions(self, idents: list[UUID]) -> dict[UUID, int]:
        """The last stored version of each of these documents' streams, in one query."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresApplicationRecorder):  # in-memory: tests
            heads = {ident: recorder.select_events(ident, desc=True, limit=1) for ident in idents}
            return {ident: last[0].originator_version for ident, last in heads.items() if last}
        with recorder.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL(
                    "SELECT originator_id, max(originator_version) AS version FROM {0} "
                    "WHERE originator_id = ANY(%s) GROUP BY originator_id"
                ).format(Identifier(recorder.datastore.schema, recorder.events_table_name)),
                (idents,),
                prepare=True,
            ).fetchall()
        return {UUID(str(row["originator_id"])): int(row["version"]) for row in rows}

    def current(self, kind: str, key: str) -> PolicyVersion:
        doc = self._get(kind, key)
        if doc is None or doc.current is None:
            raise unpublished_policy(kind, key)
        return doc.current

    def version(self, kind: str, key: str, version: int) -> PolicyVersion:
        doc = self._get(kind, key)
        if doc is None:
            raise unpublished_policy(kind, key)
        return doc.get_version(version)

    def _get(self, kind: str, key: str) -> PolicyDocument | None:
        """The document as stored now (read only: kept and shared between readers)."""
        ident = policy_uuid(kind, key)
        last = self.recorder.select_events(ident, desc=True, limit=1)
        if not last:
            return None
        kept = self._read.get((kind, key))
        if kept is not None and kept.version == last[0].originator_version:
            return kept
        doc: PolicyDocument | None = self.find(ident)
        if doc is not None:
            self._read[(kind, key)] = doc
        return doc
