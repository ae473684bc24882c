"""The LLM composer: langchain ChatOpenAI against OpenAI or any compatible server.

It may only cite ids that retrieval returned and may say nothing about the
person's coverage, completion, hours or gateway readiness (it is shown none of
their figures: `bot.claims`); anything else, a timeout, an HTTP error or
malformed output hands the question to the grounded composer and records why
in the metadata.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import SecretStr

from bot.claims import claims_hold
from bot.composers.grounded import GroundedComposer
from bot.config import Settings
from bot.grounding import Rejected, delimit, fallback_metadata, invented_ids
from bot.names import FallbackReason
from bot.ports import Composition
from bot.prompt_files import load, render
from bot.search.retrieval import Retrieval
from knowledge.registry import Knowledge

log = logging.getLogger(__name__)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The configured provider's chat model: OpenAI, an Azure OpenAI deployment, or a compatible server.

    No retries (the timeout is the whole budget) and token usage on streams too, for the cost per turn.
    """
    common: dict[str, Any] = {"timeout": settings.llm_timeout, "max_retries": 0, "temperature": 0.2,
                              "stream_usage": True}
    if settings.effective_llm_provider == "azure":
        from langchain_openai import AzureChatOpenAI

        key = settings.azure_openai_api_key.get_secret_value() or settings.openai_api_key.get_secret_value()
        return AzureChatOpenAI(azure_endpoint=settings.azure_openai_endpoint,
                               azure_deployment=settings.azure_openai_deployment,
                               api_version=settings.azure_openai_api_version,
                               api_key=SecretStr(key or "not-needed"), model=settings.openai_model, **common)
    from langchain_openai import ChatOpenAI

    kwargs: dict[str, Any] = {**common, "model": settings.openai_model,
                              "api_key": settings.openai_api_key.get_secret_value() or "not-needed"}
    if settings.openai_base_url:
        kwargs["base_url"] = settings.openai_base_url
    return ChatOpenAI(**kwargs)


def parse_answer(raw: str, allowed: set[str]) -> tuple[str, list[str]]:
    try:
        data = json.loads(_FENCE.sub("", raw.strip()))
    except json.JSONDecodeError as exc:
        raise Rejected(FallbackReason.MALFORMED) from exc
    if not isinstance(data, dict) or not isinstance(data.get("answer"), str):
        raise Rejected(FallbackReason.MALFORMED)
    answer = data["answer"].strip()
    cited = [str(c).upper().replace(" ", "") for c in data.get("cited") or []]
    if not answer or not cited:
        raise Rejected(FallbackReason.UNCITED)
    invented = (set(cited) - allowed) | invented_ids(answer, allowed)
    if invented:
        raise Rejected(FallbackReason.INVENTED_IDS, ",".join(sorted(invented)))
    if not claims_hold(answer, None, purpose="answer"):  # it was shown no one's figures
        raise Rejected(FallbackReason.CLAIMS)
    return answer, list(dict.fromkeys(cited))


class LlmComposer:
    name = "llm"

    def __init__(self, *, model: BaseChatModel, timeout: float, stream: bool = False,
                 fallback: GroundedComposer | None = None) -> None:
        self._model = model
        self._timeout = timeout
        self._stream = stream
        self._fallback = fallback or GroundedComposer()

    async def _call(self, system: str, user: str) -> str:
        messages = [SystemMessage(content=system), HumanMessage(content=user)]
        if self._stream:
            chunks = [str(chunk.content) async for chunk in self._model.astream(messages)]
            return "".join(chunks)
        result = await self._model.ainvoke(messages)
        return str(result.content)

    async def complete(self, *, system: str, user: str) -> str | None:
        try:
            return await asyncio.wait_for(self._call(system, user), self._timeout)
        except Exception as exc:  # noqa: BLE001 - every failure means "use the grounded text"
            log.warning("llm completion failed: %s", type(exc).__name__)
            return None

    async def answer(self, *, question: str, retrieval: Retrieval, knowledge: Knowledge) -> Composition:
        grounded = self._fallback.compose(retrieval=retrieval, knowledge=knowledge)
        if not retrieval.hits:
            return grounded
        allowed = set(retrieval.ids)
        user = render("answer_user.md", context=self._context(retrieval, knowledge),
                      question=delimit(question), reference=knowledge.standard.reference)
        try:
            raw = await asyncio.wait_for(self._call(load("answer_system.md"), user), self._timeout)
            text, cited = parse_answer(raw, allowed)
        except TimeoutError:
            return self._fell_back(grounded, FallbackReason.TIMEOUT)
        except Rejected as exc:
            return self._fell_back(grounded, exc.reason, exc.detail)
        except Exception as exc:  # noqa: BLE001 - HTTP errors, connection errors, bad payloads
            return self._fell_back(grounded, FallbackReason.ERROR, type(exc).__name__)
        ideas = {i: grounded.evidence_ideas[i] for i in cited if i in grounded.evidence_ideas}
        return Composition(text=text, cited=cited, evidence_ideas=ideas, metadata={"composer": self.name})

    def _fell_back(self, grounded: Composition, reason: FallbackReason, detail: str = "") -> Composition:
        log.warning("llm answer rejected, grounded fallback: %s %s", reason, detail)
        grounded.metadata.update(fallback_metadata(reason, detail))
        return grounded

    def _context(self, retrieval: Retrieval, knowledge: Knowledge) -> str:
        blocks = []
        standard = knowledge.standard
        for ksb_id in retrieval.ids:
            ksb = standard.ksb(ksb_id)
            if ksb is None:
                continue
            guide = knowledge.guidance.for_ksb(ksb_id)
            duties = ", ".join(str(d) for d in standard.duties_for(ksb_id)) or "none"
            block = f"[{ksb_id}] ({ksb.kind_name}; duties {duties}) \"{ksb.text}\""
            if guide:
                block += f"\nExplanation: {guide.explanation}\nEvidence ideas: " + " | ".join(guide.evidence)
            blocks.append(block)
        return "\n\n".join(blocks)
