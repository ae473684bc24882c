"""The portfolio for its author, in any format; only the apprentice may build it (entry text)."""

from __future__ import annotations

from datetime import date

from bot.coaching.authz import Actor, check_own_entries
from bot.documents.files import DocumentFile
from bot.documents.portfolio_doc import PortfolioDoc, build_portfolio_doc
from bot.documents.portfolio_files import portfolio_file
from bot.documents.records import ApprenticeRecord, load_record
from knowledge.registry import Knowledge
from storage.db import SessionFactory


class PortfolioService:
    def __init__(self, *, session_factory: SessionFactory, knowledge: Knowledge) -> None:
        self._sessions = session_factory
        self._knowledge = knowledge

    def build(self, *, actor: Actor, person_id: int, today: date) -> tuple[PortfolioDoc, ApprenticeRecord]:
        check_own_entries(actor, owner_id=person_id)
        record = load_record(self._sessions, self._knowledge, person_id=person_id, today=today)
        doc = build_portfolio_doc(standard=self._knowledge.standard, enrolment=record.enrolment,
                                  progress=record.progress, views=record.views,
                                  apprentice=record.name, generated=today)
        return doc, record

    def export(self, *, actor: Actor, person_id: int, fmt: str,
               today: date) -> tuple[PortfolioDoc, DocumentFile]:
        doc, record = self.build(actor=actor, person_id=person_id, today=today)
        return doc, portfolio_file(doc, fmt, otj_rule=record.otj_rule)
